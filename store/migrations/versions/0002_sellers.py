"""The sellers table: selling partners and their encrypted refresh tokens.

Revision ID: 0002_sellers
Revises: 0001_ledger
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UtcDateTime, json_document

revision: str = "0002_sellers"
down_revision: str | None = "0001_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sellers",
        sa.Column("seller_id", sa.String(128), nullable=False),
        sa.Column("account_kind", sa.String(16), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("marketplace_ids", json_document(), nullable=False),
        sa.Column("refresh_token_encrypted", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", name="pk_sellers"),
        sa.CheckConstraint("account_kind IN ('seller', 'vendor')", name="ck_sellers_account_kind"),
        sa.CheckConstraint("region IN ('na', 'eu', 'fe')", name="ck_sellers_region"),
    )


def downgrade() -> None:
    op.drop_table("sellers")
