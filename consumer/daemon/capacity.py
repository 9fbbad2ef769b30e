"""The bound on messages in flight, shared by every poller: a poller asks SQS only for what fits."""

from __future__ import annotations

import asyncio
import contextlib


class Capacity:
    """Slots for messages in flight, shared by the pollers: taken before a receive, given back when done."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the in-flight limit must be at least 1")
        self.limit = limit
        self._free = limit
        self._changed = asyncio.Condition()

    @property
    def in_use(self) -> int:
        return self.limit - self._free

    async def take(self, at_most: int, *, gather: float = 0.0) -> int:
        """Wait until at least one slot is free, then take up to ``at_most`` of the free slots.

        With ``gather``, first wait up to that many seconds for ``at_most`` slots (or every slot, when the
        limit is lower) to be free: slots coming back one by one then make one full receive, not several
        thin ones (every ReceiveMessage costs about as much, whatever it brings)."""
        async with self._changed:
            enough = min(at_most, self.limit)
            if gather > 0 and self._free < enough:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(gather):
                        await self._changed.wait_for(lambda: self._free >= enough)
            await self._changed.wait_for(lambda: self._free > 0)
            taken = min(self._free, at_most)
            self._free -= taken
            return taken

    async def give_back(self, count: int) -> None:
        if count <= 0:
            return
        async with self._changed:
            self._free = min(self.limit, self._free + count)
            self._changed.notify_all()
