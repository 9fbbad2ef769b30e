"""Taking turns within a process: one holder at a time per name, the others queued in arrival order.

A name's lock lives only while someone holds or awaits it, so a budget key or a partner seen once costs
nothing afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class Turns:
    """FIFO locks by name (asyncio.Lock wakes its waiters in the order they came)."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def take(self, name: Hashable) -> AsyncIterator[bool]:
        """Hold the name's turn for the ``async with`` block, after those who asked before; the block gets
        whether it had to queue for it."""
        lock, users = self._locks.get(name, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[name] = (lock, users + 1)
        queued = lock.locked()
        try:
            async with lock:
                yield queued
        finally:
            lock, users = self._locks[name]
            if users == 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
