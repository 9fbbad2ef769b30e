"""Feeds whose processing finished, and where their processing reports are stored."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

from store.metadata import metadata
from store.types import UtcDateTime, json_document

FEEDS = Table(
    "feeds",
    metadata,
    # A feedId is unique only together with the account (as Amazon's two samples show: one id, two accounts).
    Column("feed_id", String(64), primary_key=True),
    Column("account_id", String(128), primary_key=True),
    Column("seller_id", String(128)),
    Column("feed_type", String(128), nullable=False),
    Column("processing_status", String(32), nullable=False),
    Column("marketplace_ids", json_document()),
    Column("created_time", UtcDateTime()),
    Column("processing_start_time", UtcDateTime()),
    Column("processing_end_time", UtcDateTime()),
    Column("result_feed_document_id", String(256)),
    Column("location", Text),
    Column("size_bytes", BigInteger),
    Column("sha256", String(64)),
    Column("compression_algorithm", String(16)),
    Column("stored_at", UtcDateTime()),
    # json, xml or text; the counts below come from a JSON processing report's summary.
    Column("result_format", String(8)),
    Column("messages_processed", Integer),
    Column("messages_accepted", Integer),
    Column("messages_invalid", Integer),
    Column("errors", Integer),
    Column("warnings", Integer),
    Column("last_event_time", UtcDateTime()),
    Column("updated_at", UtcDateTime(), nullable=False),
)
