"""Waking followers on PostgreSQL: LISTEN on the channel a trigger on ``changes`` notifies at each commit.

The trigger (migration 0007_events) runs ``pg_notify`` once per statement that appends changes; PostgreSQL
delivers notifications only when the transaction commits, and folds a transaction's identical ones into one.
SQLite has nothing like it: its followers poll.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

CHANNEL = "spapi_notify_changes"


class ListenerLost(ConnectionError):
    """The connection listening for new changes was closed."""


class CommitSignal:
    """Set whenever a transaction with changes commits; ``wait`` returns at once if one has since."""

    def __init__(self, driver: Any) -> None:
        self._driver = driver
        self._event = asyncio.Event()

    def notify(self, *_args: object) -> None:
        self._event.set()

    async def wait(self, seconds: float) -> None:
        """Until a commit was signalled since the last wait, or ``seconds`` pass (a safety net)."""
        with suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._event.wait()
        self._event.clear()
        if self._driver.is_closed():
            raise ListenerLost("the connection listening for changes was closed")


@asynccontextmanager
async def commit_signal(engine: AsyncEngine) -> AsyncIterator[CommitSignal | None]:
    """On PostgreSQL a CommitSignal fed by LISTEN on its own connection; None on SQLite."""
    if engine.dialect.name != "postgresql":
        yield None
        return
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection  # the asyncpg connection under SQLAlchemy's adapter
        signal = CommitSignal(driver)
        assert driver is not None
        await driver.add_listener(CHANNEL, signal.notify)
        try:
            yield signal
        finally:
            if not driver.is_closed():
                await driver.remove_listener(CHANNEL, signal.notify)
