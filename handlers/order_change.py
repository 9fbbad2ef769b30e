"""ORDER_CHANGE 1.0: fetch the order with Orders API 2026-01-01 getOrder; upsert ``orders``, ``order_items``.

The notification's Summary supplies what it carries (purchase date, marketplace, items) and stands in where
the order as fetched has nothing; the fetched order is the authority for its state. Notifications for the same
order share one getOrder call: within a process through handlers.coalescer, across the replicas of a fleet
through a claim per order (store.order_claims): the claimant fetches, the others wait for its write and take
the order from the table, fetching themselves only when that does not reflect their change yet. Ordering is
enforced in SQL, inside the ledger transaction
(store.outputs.orders): an older notification, or a slower daemon holding an older fetch, never overwrites
newer state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.coalescer import Coalescer
from handlers.coalescer import covers as _covers
from handlers.context import HandlerContext
from handlers.contract import Effect
from handlers.errors import PermanentError, Reason
from spapi.apis.orders import PII_DATASETS, included_data_values
from spapi.models.orders import Order
from spapi.notifications import Notification, OrderChangePayload
from spapi.notifications.order_change import OrderChangeNotification
from store.order_claims import claim_order, claimed_by_another, release_order, stored_order
from store.outputs.orders import stored_version, upsert_order

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


class UnknownDatasets(ValueError):
    """getOrder has no such dataset (the message lists the ones it has)."""


class PiiNotEnabled(ValueError):
    """The datasets asked for name buyer data while PII fetching is off."""

    def __init__(self, datasets: list[str]) -> None:
        super().__init__(f"{', '.join(datasets)}: buyer data is fetched only when PII fetching is on")
        self.datasets = datasets


def order_datasets(requested: Sequence[str], *, fetch_pii: bool) -> tuple[str, ...]:
    """getOrder ``includedData``: the requested datasets, checked against the model; BUYER and RECIPIENT are
    added when (and only when) ``fetch_pii`` is on."""
    wanted = [v.strip().upper() for v in requested if v.strip()]
    unknown = sorted(set(wanted) - included_data_values())
    if unknown:
        raise UnknownDatasets(
            f"unknown getOrder dataset(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(included_data_values()))})"
        )
    pii = sorted(PII_DATASETS & set(wanted))
    if pii and not fetch_pii:
        raise PiiNotEnabled(pii)
    if fetch_pii:
        wanted += sorted(PII_DATASETS)
    return tuple(dict.fromkeys(wanted))


@dataclass(frozen=True)
class OrderChangeConfig:
    """getOrder's datasets (see ``order_datasets``), how long a fetch waits for more notifications, and how
    long a replica's claim on an order's fetch lasts should it never write (a crash)."""

    included_data: tuple[str, ...]
    coalesce_seconds: float = 0.5
    claim_seconds: float = 120.0


# How often a replica waiting for another's fetch looks whether it is done.
CLAIM_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class FetchedOrder:
    """An order as getOrder returned it: the model, and Amazon's JSON."""

    order: Order
    raw: dict[str, Any]
    # From getOrder by this process, after the notifications it serves arrived; False: read back from the
    # table after another replica's fetch, which may predate them.
    fresh: bool = True

    @property
    def version(self) -> datetime:
        return _utc(self.order.last_updated_time)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class OrderChangeHandler:
    """ORDER_CHANGE 1.0 (see the module docstring)."""

    def __init__(self, context: HandlerContext, config: OrderChangeConfig) -> None:
        self._context = context
        self._included = config.included_data
        self._claim_seconds = config.claim_seconds
        self.fetcher: Coalescer[tuple[str, str], FetchedOrder] = Coalescer(
            self._fetch, lambda fetched: fetched.version, window=config.coalesce_seconds
        )

    def __repr__(self) -> str:
        return f"OrderChangeHandler(included={self._included!r})"

    async def _fetch(self, key: tuple[str, str]) -> FetchedOrder:
        """getOrder, unless another replica is fetching the order: then its result, from the table."""
        seller_id, order_id = key
        engine, replica = self._context.engine, self._context.replica
        while not await claim_order(engine, order_id, replica, self._claim_seconds):
            while await claimed_by_another(engine, order_id, replica):  # noqa: ASYNC110 (another process)
                await asyncio.sleep(CLAIM_POLL_SECONDS)
            raw = await stored_order(engine, order_id)
            if raw is not None:
                return FetchedOrder(Order.model_validate(raw), raw, fresh=False)
        try:
            credentials = await self._context.sellers.credentials(seller_id)
            client = self._context.client_for(credentials.region)
            result = await client.orders.get_order(
                credentials.partner, order_id, included_data=self._included
            )
        except BaseException:
            # The others need not wait for a write that will not come (a crash leaves the claim to expire).
            async with engine.begin() as connection:
                await release_order(connection, order_id, replica)
            raise
        return FetchedOrder(result.data, dict(result.raw or {}))

    async def prepare(self, notification: Notification[Any]) -> Effect:
        payload = notification.payload
        if not isinstance(payload, OrderChangePayload):
            raise PermanentError(Reason.SCHEMA_VIOLATION, "ORDER_CHANGE payload did not parse as version 1.0")
        change = payload.order_change_notification
        # Unknown sellers fail here, at once, not after waiting out a coalescing window.
        await self._context.sellers.credentials(change.seller_id)
        if await self._reflected(change.amazon_order_id, notification.event_time):
            # getOrder is the scarcest call (0.5/s): a late or redelivered notification whose change the
            # stored order already shows costs none.
            return Effect(summary=f"order {change.amazon_order_id}: already up to date")
        key = (change.seller_id, change.amazon_order_id)
        fetched = await self.fetcher.get(key, notification.event_time)
        while not (fetched.fresh or _covers(fetched.version, notification.event_time)):
            # Another replica's fetch that predates this change: fetch again.
            fetched = await self.fetcher.get(key, notification.event_time)
        if fetched.order.order_id != change.amazon_order_id:
            raise PermanentError(
                Reason.SPAPI_REJECTED,
                f"getOrder({change.amazon_order_id}) returned order {fetched.order.order_id}",
            )
        write = OrderWrite.build(
            change, fetched, notification.event_time, datetime.now(UTC), claimant=self._context.replica
        )
        summary = f"order {change.amazon_order_id} {write.order['order_status']}"
        return Effect(apply=write.apply, summary=summary)

    async def _reflected(self, order_id: str, event_time: datetime | None) -> bool:
        if event_time is None:
            return False
        stored = await stored_version(self._context.engine, order_id)
        return stored is not None and event_time <= stored


@dataclass(frozen=True)
class OrderWrite:
    """The rows of one order and its items, built from a fetch and the notification that asked for it."""

    order: dict[str, Any]
    items: list[dict[str, Any]]
    claimant: str | None = None  # releases its claim on the order's fetch when the write commits

    @classmethod
    def build(
        cls,
        change: OrderChangeNotification,
        fetched: FetchedOrder,
        event_time: datetime | None,
        now: datetime,
        *,
        claimant: str | None = None,
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
        return cls(row, _item_rows(change, fetched, now), claimant)

    async def apply(self, connection: AsyncConnection) -> None:
        await upsert_order(connection, self.order, self.items)
        if self.claimant is not None:
            await release_order(connection, self.order["amazon_order_id"], self.claimant)


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
