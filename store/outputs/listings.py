"""``listings_items``: the upsert that never goes backwards, and the newest EventTime applied to a listing.

A row is replaced only by a notification with a newer (or equal) EventTime, checked in SQL inside the caller's
transaction so that concurrent daemons agree; a stored EventTime counts as no later than the row's write
(store.outputs.event_time). A deleted listing keeps its last known ASIN, issues and item.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from store.changes.append import upsert_with_change
from store.engine import read_only
from store.outputs.event_time import applied_event_time
from store.tables import LISTINGS_ITEMS
from store.upsert import insert


async def stored_event_time(
    engine: AsyncEngine, seller_id: str, sku: str, marketplace_id: str
) -> datetime | None:
    """The EventTime of the newest notification applied to the listing, or None."""
    async with read_only(engine) as connection:
        found: datetime | None = await connection.scalar(
            select(applied_event_time(LISTINGS_ITEMS.c)).where(
                LISTINGS_ITEMS.c.seller_id == seller_id,
                LISTINGS_ITEMS.c.sku == sku,
                LISTINGS_ITEMS.c.marketplace_id == marketplace_id,
            )
        )
    return found


async def upsert_listing(
    connection: AsyncConnection, row: Mapping[str, Any], *, notification_id: str | None = None
) -> None:
    """Write the listing unless a newer notification's state is stored (``raw`` None: deleted and gone).

    A write appends a change to the change feed, naming ``notification_id``.
    """
    statement = insert(connection, LISTINGS_ITEMS).values(**row)
    new, stored = statement.excluded, LISTINGS_ITEMS.c
    changes = {c.name: new[c.name] for c in LISTINGS_ITEMS.c if not c.primary_key}
    if row["raw"] is None:
        # Deleted and gone from getListingsItem: the last known ASIN, issues and item stay on the row.
        for name in ("asin", "issues", "raw"):
            changes[name] = stored[name] if name != "asin" or row["asin"] is None else new.asin
    newer = or_(
        stored.last_event_time.is_(None),
        new.last_event_time.is_not(None) & (new.last_event_time >= applied_event_time(stored)),
    )
    await upsert_with_change(
        connection,
        statement.on_conflict_do_update(
            index_elements=[stored.seller_id, stored.sku, stored.marketplace_id],
            set_=changes,
            where=newer,
        ),
        LISTINGS_ITEMS,
        row,
        notification_id,
    )
