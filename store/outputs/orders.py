"""``orders`` and ``order_items``: the upsert that never goes backwards, and the stored version of an order.

A row is replaced only by a newer ``lastUpdatedTime`` (or the same one reached by a newer EventTime), checked
in SQL inside the caller's transaction, so an older notification, or a slower daemon holding an older fetch,
never overwrites newer state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from store.changes.append import upsert_with_change
from store.engine import read_only
from store.outputs.event_time import applied_event_time
from store.tables import ORDER_ITEMS, ORDERS
from store.upsert import insert


async def stored_version(engine: AsyncEngine, order_id: str) -> datetime | None:
    """The ``lastUpdatedTime`` of the order as stored, or None when it is not stored."""
    async with read_only(engine) as connection:
        found: datetime | None = await connection.scalar(
            select(ORDERS.c.last_updated_time).where(ORDERS.c.amazon_order_id == order_id)
        )
    return found


async def upsert_order(
    connection: AsyncConnection,
    order: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    *,
    notification_id: str | None = None,
) -> bool:
    """Write the order and its items unless what is stored is newer; True when the order was written.

    A write appends a change of the order to the change feed (its items are part of it), naming
    ``notification_id`` when a notification brought it (None for other writers, such as a sweep).
    """
    statement = insert(connection, ORDERS).values(**order)
    new, stored = statement.excluded, ORDERS.c
    newer = or_(
        stored.last_updated_time.is_(None),
        new.last_updated_time > stored.last_updated_time,
        and_(
            new.last_updated_time == stored.last_updated_time,
            new.last_event_time.is_not(None),
            or_(stored.last_event_time.is_(None), new.last_event_time > applied_event_time(stored)),
        ),
    )
    changes = {c.name: new[c.name] for c in ORDERS.c if not c.primary_key}
    # A newer fetch reached through an older notification keeps the newest EventTime seen.
    changes["last_event_time"] = case(
        (new.last_event_time.is_(None), applied_event_time(stored)),
        (stored.last_event_time.is_(None), new.last_event_time),
        (new.last_event_time > applied_event_time(stored), new.last_event_time),
        else_=applied_event_time(stored),
    )
    written = await upsert_with_change(
        connection,
        statement.on_conflict_do_update(index_elements=[ORDERS.c.amazon_order_id], set_=changes, where=newer),
        ORDERS,
        order,
        notification_id,
    )
    # Nothing written: what is stored is newer. The row lock (PostgreSQL) or the database lock (SQLite) held
    # since the upsert keeps another daemon's items from interleaving with these.
    if written is None:
        return False
    if items:
        rows = insert(connection, ORDER_ITEMS).values(list(items))
        await connection.execute(
            rows.on_conflict_do_update(
                index_elements=[ORDER_ITEMS.c.amazon_order_id, ORDER_ITEMS.c.order_item_id],
                set_={c.name: rows.excluded[c.name] for c in ORDER_ITEMS.c if not c.primary_key},
            )
        )
    return True
