"""Listings items' status per (seller, SKU, marketplace): the LISTINGS_ITEM_STATUS_CHANGE output."""

from __future__ import annotations

from sqlalchemy import Column, String, Table

from store.metadata import metadata
from store.types import UtcDateTime, json_document

LISTINGS_ITEMS = Table(
    "listings_items",
    metadata,
    Column("seller_id", String(128), primary_key=True),
    Column("sku", String(200), primary_key=True),
    Column("marketplace_id", String(32), primary_key=True),
    Column("asin", String(16)),
    # JSON list of BUYABLE / DISCOVERABLE / DELETED; DELETED is a state, the row stays.
    Column("statuses", json_document(), nullable=False),
    Column("issues", json_document()),
    Column("last_event_time", UtcDateTime()),
    Column("raw", json_document()),
    Column("updated_at", UtcDateTime(), nullable=False),
)
