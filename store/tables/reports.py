"""Reports whose processing finished, and where their documents are stored."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table, Text

from store.metadata import metadata
from store.types import UtcDateTime

REPORTS = Table(
    "reports",
    metadata,
    # Amazon's sample notifications give a seller's and a vendor's report the same id: unique per account.
    Column("report_id", String(64), primary_key=True),
    Column("account_id", String(128), primary_key=True),
    Column("seller_id", String(128)),
    Column("report_type", String(128), nullable=False),
    Column("processing_status", String(32), nullable=False),
    Column("report_document_id", String(256)),
    Column("location", Text),
    Column("size_bytes", BigInteger),
    Column("sha256", String(64)),
    Column("stored_at", UtcDateTime()),
    Column("compression_algorithm", String(16)),
    Column("data_start_time", UtcDateTime()),
    Column("data_end_time", UtcDateTime()),
)
