"""LISTINGS_ITEM_STATUS_CHANGE 1.0: getListingsItem, then upsert ``listings_items``.

``statuses`` is the notification's Status set (BUYABLE, DISCOVERABLE, DELETED): the notification is the only
place DELETED appears (getListingsItem's status enum has no DELETED; it answers 404 for a deleted listing).
ASIN, issues and the raw item come from getListingsItem. A deleted listing keeps its row with DELETED in its
statuses. The row is replaced only by a notification with a newer (or equal) EventTime, checked in SQL inside
the ledger transaction so that concurrent daemons agree (store.outputs.listings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.context import HandlerContext
from handlers.contract import Effect, StoredField
from handlers.errors import PermanentError, Reason
from handlers.stored_fields import listings_item_fields
from spapi.apis.listings import DEFAULT_INCLUDED_DATA
from spapi.errors import NotFound
from spapi.notifications import ListingsItemStatusChangePayload, Notification
from store.outputs.listings import stored_event_time, upsert_listing

DELETED = "DELETED"


class ListingsItemStatusChangeHandler:
    """LISTINGS_ITEM_STATUS_CHANGE 1.0 (see the module docstring)."""

    def __init__(self, context: HandlerContext) -> None:
        self._context = context

    def __repr__(self) -> str:
        return "ListingsItemStatusChangeHandler()"

    def stored_fields(self, notification: Notification[Any]) -> list[StoredField]:
        """The notification's values this handler writes (checked against their columns beforehand)."""
        return list(listings_item_fields(notification))

    async def prepare(self, notification: Notification[Any]) -> Effect:
        payload = notification.payload
        if not isinstance(payload, ListingsItemStatusChangePayload):
            raise PermanentError(
                Reason.SCHEMA_VIOLATION, "LISTINGS_ITEM_STATUS_CHANGE payload did not parse as version 1.0"
            )
        credentials = await self._context.sellers.credentials(payload.seller_id)
        marketplace_id = payload.marketplace_id or next(iter(credentials.marketplace_ids), None)
        if marketplace_id is None:
            raise PermanentError(
                Reason.HANDLER_REJECTED,
                f"listing {payload.sku} of {payload.seller_id}: the notification names no marketplace and "
                "the seller has none configured",
            )
        statuses = sorted(dict.fromkeys(payload.status))
        if await self._superseded(payload.seller_id, payload.sku, marketplace_id, notification.event_time):
            # Saves the call, and a 404 for a listing deleted since would otherwise be retried in vain.
            return Effect(summary=f"listing {payload.sku}: a newer notification was applied already")
        client = self._context.client_for(credentials.region)
        try:
            result = await client.listings.get_listings_item(
                credentials.partner,
                seller_id=payload.seller_id,
                sku=payload.sku,
                marketplace_ids=[marketplace_id],
                included_data=DEFAULT_INCLUDED_DATA,
            )
        except NotFound:
            if DELETED not in statuses:
                raise  # a fresh listing can take a moment to become readable: retried
            item: dict[str, Any] | None = None
            asin = payload.asin
            issues: list[Any] | None = None
        else:
            item = dict(result.raw or {})
            summary = next((s for s in result.data.summaries if s.marketplace_id == marketplace_id), None)
            asin = payload.asin or (summary.asin if summary else None)
            raw_issues = item.get("issues")
            issues = [
                i
                for i in (raw_issues if isinstance(raw_issues, list) else [])
                if not isinstance(i, dict) or marketplace_id in i.get("marketplaceIds", [marketplace_id])
            ]
        write = ListingWrite(
            {
                "seller_id": payload.seller_id,
                "sku": payload.sku,
                "marketplace_id": marketplace_id,
                "asin": asin,
                "statuses": statuses,
                "issues": issues,
                "last_event_time": notification.event_time,
                "raw": item,
                "updated_at": datetime.now(UTC),
            },
            notification.notification_id,
        )
        return Effect(apply=write.apply, summary=f"listing {payload.sku} {'/'.join(statuses) or 'no status'}")

    async def _superseded(
        self, seller_id: str, sku: str, marketplace_id: str, event_time: datetime | None
    ) -> bool:
        if event_time is None:
            return False
        stored = await stored_event_time(self._context.engine, seller_id, sku, marketplace_id)
        return stored is not None and stored > event_time


@dataclass(frozen=True)
class ListingWrite:
    """The listing's row, written unless a newer notification's state is stored."""

    row: dict[str, Any]
    notification_id: str | None = None  # named by the change this write appends

    async def apply(self, connection: AsyncConnection) -> None:
        await upsert_listing(connection, self.row, notification_id=self.notification_id)
