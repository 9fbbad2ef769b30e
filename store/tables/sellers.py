"""The sellers (and vendor accounts) whose notifications we process, with their encrypted refresh tokens."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, String, Table, Text

from store.metadata import metadata
from store.types import UtcDateTime, json_document

SELLERS = Table(
    "sellers",
    metadata,
    # A seller id (A1...) or, for vendors, the account id (amzn1.vg.*): whichever Amazon's notifications name.
    Column("seller_id", String(128), primary_key=True),
    Column("account_kind", String(16), nullable=False),
    Column("region", String(8), nullable=False),
    Column("marketplace_ids", json_document(), nullable=False),
    # Fernet token (cryptography): the LWA refresh token encrypted with SPAPI_NOTIFY_ENCRYPTION_KEY.
    Column("refresh_token_encrypted", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("account_kind IN ('seller', 'vendor')", name="account_kind"),
    CheckConstraint("region IN ('na', 'eu', 'fe')", name="region"),
)
