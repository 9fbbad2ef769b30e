"""The rows of ``orders`` and ``order_items`` for one order as Orders API 2026-01-01 returns it.

One builder for every writer of those tables: the ORDER_CHANGE handler (an order from getOrder, the
notification's Summary standing in where the order has nothing, and the notification's EventTime) and the
reconciliation sweep (an order from searchOrders: no Summary, no EventTime). Both write the rows through
store.outputs.orders.upsert_order, whose guard keeps the newest version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from spapi.models.orders import Order
from spapi.notifications.order_change import OrderSummary

# The Summary speaks Orders v0 (``Unshipped``, ``MFN``); the table keeps Orders 2026-01-01's words.
_V0_STATUS = {
    "PendingAvailability": "PENDING_AVAILABILITY",
    "Pending": "PENDING",
    "Unshipped": "UNSHIPPED",
    "PartiallyShipped": "PARTIALLY_SHIPPED",
    "Shipped": "SHIPPED",
    "Canceled": "CANCELLED",
    "Unfulfillable": "UNFULFILLABLE",
}
_V0_CHANNEL = {"MFN": "MERCHANT", "AFN": "AMAZON"}


def utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive value is taken as UTC (Amazon's times are)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class OrderRows:
    """An ``orders`` row and its ``order_items`` rows, ready for upsert_order."""

    order: dict[str, Any]
    items: list[dict[str, Any]]


def order_rows(
    order: Order,
    raw: Mapping[str, Any],
    *,
    seller_id: str,
    now: datetime,
    event_time: datetime | None = None,
    summary: OrderSummary | None = None,
) -> OrderRows:
    """The rows of ``order`` (``raw``: Amazon's JSON of it) for ``seller_id``, written at ``now``.

    ``event_time`` is the EventTime of the notification that brought the order (None from a sweep);
    ``summary`` its Summary, used where the order has nothing (status, channel, marketplace, items).
    """
    total = order.proceeds.grand_total if order.proceeds else None
    status = order.fulfillment.fulfillment_status if order.fulfillment else None
    channel = order.fulfillment.fulfilled_by if order.fulfillment else None
    if summary is not None:
        status = status or _V0_STATUS.get(summary.order_status, summary.order_status.upper())
        channel = channel or _V0_CHANNEL.get(summary.fulfillment_type, summary.fulfillment_type)
    row = {
        "amazon_order_id": order.order_id,
        "seller_id": seller_id,
        "marketplace_id": order.sales_channel.marketplace_id or (summary.marketplace_id if summary else None),
        "order_status": status,
        "purchase_date": (summary.purchase_date if summary else None) or utc(order.created_time),
        "last_updated_time": utc(order.last_updated_time),
        "fulfillment_channel": channel,
        "order_total_amount": Decimal(total.amount) if total else None,
        "order_total_currency": total.currency_code if total else None,
        "last_event_time": event_time,
        "raw": dict(raw),
        "updated_at": now,
    }
    return OrderRows(row, _item_rows(order, raw, summary, now))


def _item_rows(
    order: Order, raw: Mapping[str, Any], summary: OrderSummary | None, now: datetime
) -> list[dict[str, Any]]:
    raw_items = raw.get("orderItems")
    raw_by_id = {item.get("orderItemId"): item for item in (raw_items if isinstance(raw_items, list) else [])}
    rows = [
        {
            "amazon_order_id": order.order_id,
            "order_item_id": item.order_item_id,
            "seller_sku": item.product.seller_sku,
            "asin": item.product.asin,
            "quantity_ordered": item.quantity_ordered,
            "quantity_shipped": item.fulfillment.quantity_fulfilled if item.fulfillment else None,
            "raw": raw_by_id.get(item.order_item_id, item.model_dump(mode="json", by_alias=True)),
            "updated_at": now,
        }
        for item in order.order_items
    ]
    if rows or summary is None:
        return rows
    # Amazon always lists the items today; should it not, the Summary's are better than none.
    return [
        {
            "amazon_order_id": order.order_id,
            "order_item_id": item.order_item_id,
            "seller_sku": item.seller_sku,
            "asin": None,
            "quantity_ordered": item.quantity,
            "quantity_shipped": item.quantity_shipped,
            "raw": item.model_dump(mode="json", by_alias=True),
            "updated_at": now,
        }
        for item in summary.order_items
    ]
