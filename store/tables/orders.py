"""Orders and their items, as Orders API getOrder returns them (the ORDER_CHANGE handler's output)."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, Numeric, String, Table

from store.metadata import metadata
from store.types import UtcDateTime, json_document

ORDERS = Table(
    "orders",
    metadata,
    Column("amazon_order_id", String(64), primary_key=True),
    Column("seller_id", String(128), nullable=False),
    Column("marketplace_id", String(32)),
    Column("order_status", String(64)),
    Column("purchase_date", UtcDateTime()),
    Column("last_updated_time", UtcDateTime()),
    Column("fulfillment_channel", String(32)),
    Column("order_total_amount", Numeric(18, 4)),
    Column("order_total_currency", String(8)),
    # The EventTime of the newest notification applied: an older one never overwrites newer state.
    Column("last_event_time", UtcDateTime()),
    Column("raw", json_document(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
Index("ix_orders_seller_id_last_updated_time", ORDERS.c.seller_id, ORDERS.c.last_updated_time)

ORDER_ITEMS = Table(
    "order_items",
    metadata,
    Column("amazon_order_id", String(64), primary_key=True),
    Column("order_item_id", String(64), primary_key=True),
    Column("seller_sku", String(200)),
    Column("asin", String(16)),
    Column("quantity_ordered", Integer),
    Column("quantity_shipped", Integer),
    Column("raw", json_document(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
