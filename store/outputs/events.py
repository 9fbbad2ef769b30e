"""``notification_events``: one row per notification of a type without a dedicated handler."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from store.changes.append import hold_feed, record_change, row_key
from store.tables import NOTIFICATION_EVENTS, Operation
from store.upsert import insert


async def insert_event(connection: AsyncConnection, row: Mapping[str, Any]) -> bool:
    """Store the notification's row (and its change) unless it is stored already; True when it was new.

    The ledger already keeps a redelivered notification from coming back here; the conflict clause makes a
    second insert of one notification id a no-op all the same.
    """
    await hold_feed(connection)
    statement = (
        insert(connection, NOTIFICATION_EVENTS)
        .values(**row)
        .on_conflict_do_nothing(index_elements=[NOTIFICATION_EVENTS.c.notification_id])
        .returning(NOTIFICATION_EVENTS.c.notification_id)
    )
    if (await connection.execute(statement)).first() is None:
        return False
    key = row_key(NOTIFICATION_EVENTS, row)
    await record_change(connection, NOTIFICATION_EVENTS, key, Operation.INSERT, row["notification_id"])
    return True
