"""Pruning the change feed: changes older than the retention are deleted, oldest first, a batch at a time.

Only a prefix of the feed is ever deleted (up to the newest change recorded before the cut-off), so the ids
that remain stay gapless and a follower behind the cut is told so (store.changes.read.check_cursor) rather
than skipping a hole. The newest change is always kept, so that the next id never reuses a pruned one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from store.tables.changes import CHANGES

PRUNE_BATCH = 5_000


async def prune_changes(engine: AsyncEngine, before: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete the changes up to the newest one recorded before ``before`` (never the newest of all).

    Returns how many were deleted. Each batch of ``batch`` ids is its own short transaction.
    """
    async with engine.begin() as connection:
        newest = await connection.scalar(select(func.max(CHANGES.c.change_id)))
        cut = await connection.scalar(
            select(func.max(CHANGES.c.change_id)).where(CHANGES.c.recorded_at < before)
        )
        oldest = await connection.scalar(select(func.min(CHANGES.c.change_id)))
    if newest is None or cut is None or oldest is None:
        return 0
    last = min(cut, newest - 1)
    deleted = 0
    start = oldest
    while start <= last:
        upper = min(last, start + batch - 1)
        async with engine.begin() as connection:
            result = await connection.execute(CHANGES.delete().where(CHANGES.c.change_id <= upper))
        deleted += result.rowcount or 0
        start = upper + 1
    return deleted
