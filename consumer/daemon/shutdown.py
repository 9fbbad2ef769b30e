"""The graceful stop: receiving stops, in-flight work gets a grace period, what is left goes back to SQS.

Messages that did not finish in time are released (made visible again at once) rather than left to wait out
their visibility timeout; deletes still pending are flushed before the daemon returns. A poller in the middle
of a long poll is not cancelled: SQS would answer the poll anyway and its messages would stay invisible for
the visibility timeout. It is waited for (at most ``receive_deadline``, alongside the grace) and releases
what it brings itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import structlog

from consumer.daemon.deleter import BatchDeleter
from consumer.daemon.in_flight import InFlight
from consumer.intake.message import SqsMessage
from consumer.intake.queue import MAX_BATCH, Queue
from consumer.ops.metrics import Metrics

log = structlog.get_logger("consumer")


async def release(queue: Queue, messages: Sequence[SqsMessage], seconds: int = 0) -> int:
    """Make messages visible again after ``seconds`` (0: now); returns how many SQS accepted."""
    released = 0
    for start in range(0, len(messages), MAX_BATCH):
        chunk = messages[start : start + MAX_BATCH]
        try:
            refused = await queue.change_visibility_batch(
                {str(i): m.receipt_handle for i, m in enumerate(chunk)}, seconds
            )
        except Exception as exc:
            log.warning("daemon.release_failed", messages=len(chunk), error=f"{type(exc).__name__}: {exc}")
            continue
        released += len(chunk) - len(refused)
    return released


@dataclass
class GracefulShutdown:
    """What the daemon does once stop() was called (see the module docstring)."""

    grace: float
    queue: Queue
    in_flight: InFlight
    deleter: BatchDeleter
    metrics: Metrics
    receive_deadline: float = 25.0  # the long poll's wait and a margin for its answer

    async def run(
        self,
        pollers: Collection[asyncio.Task[None]],
        working: Collection[asyncio.Task[None]],
        *,
        receiving: Collection[asyncio.Task[None]] = (),
    ) -> None:
        """Stop the pollers (those ``receiving`` once answered), finish or release ``working``, flush."""
        for task in pollers:
            if task not in receiving:
                task.cancel()
        await asyncio.gather(self._finish_receives(pollers), self._finish_work(working))
        await self.deleter.flush()

    async def _finish_receives(self, pollers: Collection[asyncio.Task[None]]) -> None:
        if not pollers:
            return
        _, late = await asyncio.wait(pollers, timeout=self.receive_deadline)
        for task in late:
            log.warning("daemon.receive_abandoned", waited_s=self.receive_deadline)
            task.cancel()
        await asyncio.gather(*pollers, return_exceptions=True)

    async def _finish_work(self, working: Collection[asyncio.Task[None]]) -> None:
        if working:
            _, late = await asyncio.wait(working, timeout=self.grace)
            unfinished = self.in_flight.unacted() if late else []
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            if unfinished:
                self.metrics.released.inc(await release(self.queue, unfinished))
                log.info("daemon.released", messages=len(unfinished))
