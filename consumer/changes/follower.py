"""Following the change feed: batches of changes in commit order from a cursor, then (optionally) forever.

On PostgreSQL the follower LISTENs before its first read and sleeps until a transaction with changes
commits (with a long safety-net poll); on SQLite, which has no notifications, it polls every
``poll_seconds``. Every read is its own read-only transaction, so a follower never blocks the writers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from store.changes.listen import commit_signal
from store.changes.read import BATCH, Change, check_cursor, feed_bounds, read_changes
from store.engine import read_only

POLL_SECONDS = 0.2  # SQLite: how often a follower asks for new changes
SAFETY_SECONDS = 30.0  # PostgreSQL: the longest a follower sleeps without a notification


class Follower:
    """Reads the feed after a cursor, in commit order (only ``tables``' changes, when given)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        tables: Sequence[str] = (),
        batch: int = BATCH,
        poll_seconds: float = POLL_SECONDS,
        safety_seconds: float = SAFETY_SECONDS,
    ) -> None:
        self.engine = engine
        self.tables = tuple(tables)
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.safety_seconds = safety_seconds

    async def head(self) -> int:
        """The id of the newest change (0 when there is none): the cursor that starts from now."""
        async with read_only(self.engine) as connection:
            return (await feed_bounds(connection)).newest or 0

    async def follow(self, after: int, *, forever: bool) -> AsyncGenerator[list[Change], None]:
        """Batches of the changes after ``after``; with ``forever``, waits for more instead of returning.

        Raises store.changes.read.CursorError first when resuming after ``after`` could miss changes.
        """
        async with read_only(self.engine) as connection:
            await check_cursor(connection, after)
        async with commit_signal(self.engine) as signal:
            cursor = after
            while True:
                async with read_only(self.engine) as connection:
                    changes = await read_changes(connection, cursor, tables=self.tables, limit=self.batch)
                if changes:
                    cursor = changes[-1].change_id
                    yield changes
                    if len(changes) == self.batch:
                        continue
                if not forever:
                    return
                if signal is not None:
                    await signal.wait(self.safety_seconds)
                else:
                    await asyncio.sleep(self.poll_seconds)
