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
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.coalescer import Coalescer
from handlers.coalescer import covers as _covers
from handlers.context import HandlerContext
from handlers.contract import Effect, StoredField
from handlers.errors import PermanentError, Reason
from handlers.order_rows import order_rows, utc
from handlers.stored_fields import order_change_fields
from spapi.apis.orders import PII_DATASETS, included_data_values
from spapi.models.orders import Order
from spapi.notifications import Notification, OrderChangePayload
from spapi.notifications.order_change import OrderChangeNotification
from store.order_claims import claim_order, claimed_by_another, release_order, stored_order
from store.outputs.orders import stored_version, upsert_order


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
        return utc(self.order.last_updated_time)


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

    def stored_fields(self, notification: Notification[Any]) -> list[StoredField]:
        """The notification's values this handler writes (checked against their columns beforehand)."""
        return list(order_change_fields(notification))

    async def _fetch(self, key: tuple[str, str], newest: datetime | None) -> FetchedOrder:
        """getOrder, unless the table already reflects ``newest`` (the newest event time of the notifications
        this fetch serves), or another replica is fetching the order: then its result, from the table."""
        seller_id, order_id = key
        engine, replica = self._context.engine, self._context.replica
        while not await claim_order(engine, order_id, replica, self._claim_seconds):
            while await claimed_by_another(engine, order_id, replica):  # noqa: ASYNC110 (another process)
                await asyncio.sleep(CLAIM_POLL_SECONDS)
            raw = await stored_order(engine, order_id)
            if raw is not None:
                return FetchedOrder(Order.model_validate(raw), raw, fresh=False)
        # Another replica may have fetched and written the order since these notifications looked at the
        # table: its write released its claim, which is how ours went through. Then the table has what they
        # need, and getOrder (the scarcest call) is not asked again.
        stored = await self._stored_covering(order_id, newest)
        if stored is not None:
            async with engine.begin() as connection:
                await release_order(connection, order_id, replica)
            return stored
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
        write = replace(write, notification_id=notification.notification_id)
        summary = f"order {change.amazon_order_id} {write.order['order_status']}"
        return Effect(apply=write.apply, summary=summary)

    async def _stored_covering(self, order_id: str, newest: datetime | None) -> FetchedOrder | None:
        """The order as stored, if it reflects an event at ``newest``."""
        if newest is None:
            return None
        raw = await stored_order(self._context.engine, order_id)
        if raw is None:
            return None
        fetched = FetchedOrder(Order.model_validate(raw), raw, fresh=False)
        return fetched if _covers(fetched.version, newest) else None

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
    notification_id: str | None = None  # named by the change this write appends to the change feed

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
        rows = order_rows(
            fetched.order,
            fetched.raw,
            seller_id=change.seller_id,
            now=now,
            event_time=event_time,
            summary=change.summary,
        )
        return cls(rows.order, rows.items, claimant)

    async def apply(self, connection: AsyncConnection) -> None:
        await upsert_order(connection, self.order, self.items, notification_id=self.notification_id)
        if self.claimant is not None:
            await release_order(connection, self.order["amazon_order_id"], self.claimant)
