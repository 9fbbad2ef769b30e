"""Appending changes: in the writing transaction, under the feed's lock, so ids follow commit order.

A change's id is the largest id plus one, assigned while the writer holds the feed's lock until it commits:
on PostgreSQL a transaction-scoped advisory lock, on SQLite the database's write lock (every write
transaction begins IMMEDIATE). So the next writer can take an id only after the previous one has committed
(or rolled back, freeing its ids): ids are gapless and in commit order, and a follower that has read every
change up to id N has missed none, whichever transaction started first. The price on PostgreSQL: output
writes are serialised from a transaction's first output write to its commit; handlers do their slow work
(SP-API calls, downloads) before the transaction, so it stays short.

The lock is taken before the output row's upsert, so that every transaction takes its output-row locks
while holding it: two writers can never wait for each other's rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Table, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from store.tables.changes import CHANGES, Operation

# The feed's advisory lock on PostgreSQL ("spnchang"); no other lock of spapi-notify uses this key.
FEED_LOCK_KEY = 0x73706E6368616E67
_HOLD = text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=FEED_LOCK_KEY)
# On PostgreSQL an inserted row has no xmax yet; an upserted one carries the updating transaction's.
_INSERTED = literal_column("(xmax = 0)", Boolean).label("inserted")


async def hold_feed(connection: AsyncConnection) -> None:
    """Take the feed's lock until the transaction ends (a no-op on SQLite, whose writers are serial)."""
    if connection.dialect.name == "postgresql":
        await connection.execute(_HOLD)


def row_key(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """The primary key of ``row`` in ``table``, as a change records it."""
    return {column.name: row[column.name] for column in table.primary_key.columns}


async def record_change(
    connection: AsyncConnection,
    table: Table,
    key: Mapping[str, Any],
    operation: Operation,
    notification_id: str | None = None,
) -> None:
    """Append a change of ``table``'s row ``key``; call after ``hold_feed``, in the writing transaction."""
    await connection.execute(
        _append(),
        {
            "table_name": table.name,
            "row_key": dict(key),
            "operation": operation.value,
            "notification_id": notification_id,
            "recorded_at": datetime.now(UTC),
        },
    )


@cache
def _append() -> Any:
    # One statement, compiled once: the next id is read in the same statement that inserts it.
    next_id = select(func.coalesce(func.max(CHANGES.c.change_id), 0) + 1).scalar_subquery()
    return CHANGES.insert().values(change_id=next_id)


async def upsert_with_change(
    connection: AsyncConnection,
    statement: Any,
    table: Table,
    row: Mapping[str, Any],
    notification_id: str | None = None,
) -> Operation | None:
    """Execute a guarded ``INSERT ... ON CONFLICT`` of ``row``; append its change when it wrote the row.

    Returns what it did, or None when the guard kept the stored row (then nothing is appended).
    """
    key = row_key(table, row)
    await hold_feed(connection)
    if connection.dialect.name == "postgresql":
        found = (await connection.execute(statement.returning(_INSERTED))).first()
        if found is None:
            return None
        operation = Operation.INSERT if found.inserted else Operation.UPDATE
    else:
        # Writers are serial on SQLite: what this transaction reads now is what the upsert will meet.
        existed = await connection.scalar(
            select(literal_column("1")).select_from(table).where(*(table.c[k] == v for k, v in key.items()))
        )
        if (await connection.execute(statement.returning(*table.primary_key.columns))).first() is None:
            return None
        operation = Operation.UPDATE if existed else Operation.INSERT
    await record_change(connection, table, key, operation, notification_id)
    return operation
