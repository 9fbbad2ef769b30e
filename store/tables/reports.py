"""Reports whose processing finished, and where their documents are stored."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table, Text

from store.metadata import metadata
from store.types import UtcDateTime

REPORTS = Table(
    "reports",
    metadata,
    Column("report_id", String(64), primary_key=True),
    Column("account_id", String(128)),
    Column("seller_id", String(128)),
    Column("report_type", String(128), nullable=False),
    Column("processing_status", String(32), nullable=False),
    Column("report_document_id", String(256)),
    Column("location", Text),
    Column("size_bytes", BigInteger),
    Column("sha256", String(64)),
    Column("stored_at", UtcDateTime()),
)
