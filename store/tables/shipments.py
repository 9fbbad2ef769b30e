"""The status of each shipment of a Multi-Channel Fulfillment order (FBA_OUTBOUND_SHIPMENT_STATUS)."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table

from store.metadata import metadata
from store.types import UtcDateTime

FBA_OUTBOUND_SHIPMENTS = Table(
    "fba_outbound_shipments",
    metadata,
    Column("seller_id", String(128), primary_key=True),
    Column("amazon_shipment_id", String(64), primary_key=True),
    Column("amazon_order_id", String(64), nullable=False),
    Column("shipment_status", String(64), nullable=False),
    # The EventTime of the newest notification applied: an older one never overwrites newer state.
    Column("last_event_time", UtcDateTime()),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_fba_outbound_shipments_amazon_order_id", "amazon_order_id"),
)
