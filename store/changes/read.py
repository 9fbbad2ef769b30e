"""Reading the change feed from a cursor: changes in commit order, and the checks that make resuming safe.

A cursor is the id of the last change a follower has handled, written as a decimal string; ``0`` means from
the oldest change kept. Ids are gapless (see store.changes.append), so a cursor whose next id has been pruned
is detected, not silently skipped past.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store.tables import (
    CHANGES,
    FBA_OUTBOUND_SHIPMENTS,
    FEEDS,
    LISTINGS_ITEMS,
    NOTIFICATION_EVENTS,
    ORDERS,
    REPORTS,
)

BATCH = 500
# The output tables whose writes append changes (an ``orders`` change covers the order's items too).
_TABLES = {
    table.name: table
    for table in (ORDERS, LISTINGS_ITEMS, REPORTS, FEEDS, FBA_OUTBOUND_SHIPMENTS, NOTIFICATION_EVENTS)
}
FEED_TABLES = tuple(_TABLES)


class CursorError(ValueError):
    """A cursor that cannot be resumed from: malformed, pruned past, or ahead of this database's feed."""


@dataclass(frozen=True)
class Change:
    """One appended change: which row of which table was inserted or updated, and by which notification."""

    change_id: int
    table: str
    key: dict[str, Any]
    operation: str
    notification_id: str | None
    recorded_at: datetime

    @property
    def cursor(self) -> str:
        """The cursor to resume from after this change."""
        return str(self.change_id)


def parse_cursor(text: str) -> int:
    """A cursor's change id; CursorError unless it is a decimal number of at least 0."""
    value = text.strip()
    if not value.isdigit() or len(value) > 19:
        raise CursorError(f"invalid cursor {text!r}: a cursor is the decimal number a change line printed")
    return int(value)


@dataclass(frozen=True)
class FeedBounds:
    """The oldest and newest change kept (both None while the feed is empty)."""

    oldest: int | None
    newest: int | None


async def feed_bounds(connection: AsyncConnection) -> FeedBounds:
    """The ids of the oldest and the newest change kept."""
    bounds = select(func.min(CHANGES.c.change_id), func.max(CHANGES.c.change_id))
    found = (await connection.execute(bounds)).one()
    return FeedBounds(found[0], found[1])


async def check_cursor(connection: AsyncConnection, after: int) -> None:
    """CursorError when resuming after ``after`` could miss changes, or ``after`` is not from this feed."""
    if after == 0:
        return
    bounds = await feed_bounds(connection)
    newest = bounds.newest or 0
    if after > newest:
        raise CursorError(
            f"cursor {after} is ahead of this database's change feed (newest change {newest}): "
            "is it from another database, or was this one restored from a backup?"
        )
    if bounds.oldest is not None and bounds.oldest > after + 1:
        raise CursorError(
            f"cursor {after} is older than the oldest change kept ({bounds.oldest}): changes after it were "
            "pruned (SPAPI_NOTIFY_CHANGES_RETENTION_DAYS). Read the tables afresh, then follow from the "
            "cursor taken before that read"
        )


async def read_changes(
    connection: AsyncConnection, after: int, *, tables: Sequence[str] = (), limit: int = BATCH
) -> list[Change]:
    """Up to ``limit`` changes after the change id ``after``, oldest first (only of ``tables``, if given)."""
    query = select(CHANGES).where(CHANGES.c.change_id > after).order_by(CHANGES.c.change_id).limit(limit)
    if tables:
        query = query.where(CHANGES.c.table_name.in_(list(tables)))
    rows = (await connection.execute(query)).all()
    return [
        Change(
            change_id=row.change_id,
            table=row.table_name,
            key=_in_key_order(row.table_name, row.row_key),
            operation=row.operation,
            notification_id=row.notification_id,
            recorded_at=row.recorded_at,
        )
        for row in rows
    ]


def _in_key_order(table_name: str, key: dict[str, Any]) -> dict[str, Any]:
    """The key's columns in the table's primary-key order (jsonb keeps its own order of an object's keys)."""
    table = _TABLES.get(table_name)
    if table is None:
        return dict(key)
    ordered = {column.name: key[column.name] for column in table.primary_key.columns if column.name in key}
    return {**ordered, **key}
