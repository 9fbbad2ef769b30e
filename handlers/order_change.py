"""ORDER_CHANGE 1.0: fetch the order with Orders API 2026-01-01 getOrder; upsert ``orders``, ``order_items``.

The notification's Summary supplies what it carries (purchase date, marketplace, items) and stands in where
the order as fetched has nothing; the fetched order is the authority for its state. Notifications for the same
order share one getOrder call (handlers.order_fetcher). Ordering is enforced in SQL, inside the ledger
transaction: a row is replaced only by a newer ``lastUpdatedTime`` (or the same one with a newer EventTime),
so an older notification, or a slower daemon holding an older fetch, never overwrites newer state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import and_, case, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from consumer.dispatch import Effect
from consumer.errors import PermanentError, Reason
from consumer.notifications import Notification, OrderChangePayload
from consumer.notifications.order_change import OrderChangeNotification
from consumer.services import Services
from consumer.settings import Settings, SettingsError
from handlers.order_fetcher import Coalescer
from spapi.apis.orders import GET_ORDER, PII_DATASETS
from spapi.model_catalog import read_api_model
from spapi.models.orders import Order
from store.engine import read_only
from store.tables import ORDER_ITEMS, ORDERS
from store.upsert import insert

# The Summary speaks Orders v0 (``Unshipped``, ``MFN``); the table keeps getOrder 2026-01-01's words.
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


@cache
def included_data_values() -> frozenset[str]:
    """The includedData values getOrder accepts, from the model (Amazon adds datasets over time)."""
    operation = read_api_model(GET_ORDER.key.split(".")[0])["paths"][GET_ORDER.path]["get"]
    parameter = next(p for p in operation["parameters"] if p["name"] == "includedData")
    return frozenset(parameter["items"]["enum"])


def included_data(settings: Settings) -> tuple[str, ...]:
    """SPAPI_NOTIFY_ORDER_INCLUDED_DATA, checked; BUYER, RECIPIENT added (only) by SPAPI_NOTIFY_FETCH_PII."""
    wanted = [v.strip().upper() for v in settings.order_included_data.split(",") if v.strip()]
    unknown = sorted(set(wanted) - included_data_values())
    if unknown:
        raise SettingsError(
            f"SPAPI_NOTIFY_ORDER_INCLUDED_DATA: unknown getOrder dataset(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(included_data_values()))})"
        )
    pii = sorted(PII_DATASETS & set(wanted))
    if pii and not settings.fetch_pii:
        raise SettingsError(
            f"SPAPI_NOTIFY_ORDER_INCLUDED_DATA names {', '.join(pii)}: buyer data is fetched only with "
            "SPAPI_NOTIFY_FETCH_PII=true"
        )
    if settings.fetch_pii:
        wanted += sorted(PII_DATASETS)
    return tuple(dict.fromkeys(wanted))


@dataclass(frozen=True)
class FetchedOrder:
    order: Order
    raw: dict[str, Any]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class OrderChangeHandler:
    def __init__(self, services: Services, *, included: tuple[str, ...], window: float) -> None:
        self._services = services
        self._included = included
        self.fetcher: Coalescer[tuple[str, str], FetchedOrder] = Coalescer(
            self._fetch, lambda fetched: _utc(fetched.order.last_updated_time), window=window
        )

    @classmethod
    def from_services(cls, services: Services) -> OrderChangeHandler:
        settings = services.settings
        return cls(services, included=included_data(settings), window=settings.order_coalesce_seconds)

    def __repr__(self) -> str:
        return f"OrderChangeHandler(included={self._included!r})"

    async def _fetch(self, key: tuple[str, str]) -> FetchedOrder:
        seller_id, order_id = key
        credentials = await self._services.sellers.credentials(seller_id)
        client = self._services.spapi_for(credentials.region)
        result = await client.orders.get_order(credentials.partner, order_id, included_data=self._included)
        return FetchedOrder(result.data, dict(result.raw or {}))

    async def prepare(self, notification: Notification[Any]) -> Effect:
        payload = notification.payload
        if not isinstance(payload, OrderChangePayload):
            raise PermanentError(Reason.SCHEMA_VIOLATION, "ORDER_CHANGE payload did not parse as version 1.0")
        change = payload.order_change_notification
        # Unknown sellers fail here, at once, not after waiting out a coalescing window.
        await self._services.sellers.credentials(change.seller_id)
        if await self._reflected(change.amazon_order_id, notification.event_time):
            # getOrder is the scarcest call (0.5/s): a late or redelivered notification whose change the
            # stored order already shows costs none.
            return Effect(summary=f"order {change.amazon_order_id}: already up to date")
        fetched = await self.fetcher.get((change.seller_id, change.amazon_order_id), notification.event_time)
        if fetched.order.order_id != change.amazon_order_id:
            raise PermanentError(
                Reason.SPAPI_REJECTED,
                f"getOrder({change.amazon_order_id}) returned order {fetched.order.order_id}",
            )
        write = OrderWrite.build(change, fetched, notification.event_time, datetime.now(UTC))
        summary = f"order {change.amazon_order_id} {write.order['order_status']}"
        return Effect(apply=write.apply, summary=summary)

    async def _reflected(self, order_id: str, event_time: datetime | None) -> bool:
        if event_time is None:
            return False
        async with read_only(self._services.engine) as connection:
            stored = await connection.scalar(
                select(ORDERS.c.last_updated_time).where(ORDERS.c.amazon_order_id == order_id)
            )
        return stored is not None and event_time <= stored


@dataclass(frozen=True)
class OrderWrite:
    order: dict[str, Any]
    items: list[dict[str, Any]]

    @classmethod
    def build(
        cls,
        change: OrderChangeNotification,
        fetched: FetchedOrder,
        event_time: datetime | None,
        now: datetime,
    ) -> OrderWrite:
        order, summary = fetched.order, change.summary
        total = order.proceeds.grand_total if order.proceeds else None
        status = order.fulfillment.fulfillment_status if order.fulfillment else None
        channel = order.fulfillment.fulfilled_by if order.fulfillment else None
        row = {
            "amazon_order_id": change.amazon_order_id,
            "seller_id": change.seller_id,
            "marketplace_id": order.sales_channel.marketplace_id or summary.marketplace_id,
            "order_status": status or _V0_STATUS.get(summary.order_status, summary.order_status.upper()),
            "purchase_date": summary.purchase_date or _utc(order.created_time),
            "last_updated_time": _utc(order.last_updated_time),
            "fulfillment_channel": channel
            or _V0_CHANNEL.get(summary.fulfillment_type, summary.fulfillment_type),
            "order_total_amount": Decimal(total.amount) if total else None,
            "order_total_currency": total.currency_code if total else None,
            "last_event_time": event_time,
            "raw": fetched.raw,
            "updated_at": now,
        }
        return cls(row, _item_rows(change, fetched, now))

    async def apply(self, connection: AsyncConnection) -> None:
        statement = insert(connection, ORDERS).values(**self.order)
        new, stored = statement.excluded, ORDERS.c
        newer = or_(
            stored.last_updated_time.is_(None),
            new.last_updated_time > stored.last_updated_time,
            and_(
                new.last_updated_time == stored.last_updated_time,
                new.last_event_time.is_not(None),
                or_(stored.last_event_time.is_(None), new.last_event_time > stored.last_event_time),
            ),
        )
        changes = {c.name: new[c.name] for c in ORDERS.c if not c.primary_key}
        # A newer fetch reached through an older notification keeps the newest EventTime seen.
        changes["last_event_time"] = case(
            (new.last_event_time.is_(None), stored.last_event_time),
            (stored.last_event_time.is_(None), new.last_event_time),
            (new.last_event_time > stored.last_event_time, new.last_event_time),
            else_=stored.last_event_time,
        )
        written = await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[ORDERS.c.amazon_order_id], set_=changes, where=newer
            ).returning(ORDERS.c.amazon_order_id)
        )
        # No row back: what is stored is newer. The row lock (PostgreSQL) or the database lock (SQLite) held
        # since the upsert keeps another daemon's items from interleaving with these.
        if written.first() is None or not self.items:
            return
        items = insert(connection, ORDER_ITEMS).values(self.items)
        await connection.execute(
            items.on_conflict_do_update(
                index_elements=[ORDER_ITEMS.c.amazon_order_id, ORDER_ITEMS.c.order_item_id],
                set_={c.name: items.excluded[c.name] for c in ORDER_ITEMS.c if not c.primary_key},
            )
        )


def _item_rows(change: OrderChangeNotification, fetched: FetchedOrder, now: datetime) -> list[dict[str, Any]]:
    raw_items = fetched.raw.get("orderItems")
    raw_by_id = {item.get("orderItemId"): item for item in (raw_items if isinstance(raw_items, list) else [])}
    rows = [
        {
            "amazon_order_id": change.amazon_order_id,
            "order_item_id": item.order_item_id,
            "seller_sku": item.product.seller_sku,
            "asin": item.product.asin,
            "quantity_ordered": item.quantity_ordered,
            "quantity_shipped": item.fulfillment.quantity_fulfilled if item.fulfillment else None,
            "raw": raw_by_id.get(item.order_item_id, item.model_dump(mode="json", by_alias=True)),
            "updated_at": now,
        }
        for item in fetched.order.order_items
    ]
    if rows:
        return rows
    # getOrder always lists the items today; should it not, the Summary's are better than none.
    return [
        {
            "amazon_order_id": change.amazon_order_id,
            "order_item_id": item.order_item_id,
            "seller_sku": item.seller_sku,
            "asin": None,
            "quantity_ordered": item.quantity,
            "quantity_shipped": item.quantity_shipped,
            "raw": item.model_dump(mode="json", by_alias=True),
            "updated_at": now,
        }
        for item in change.summary.order_items
    ]
