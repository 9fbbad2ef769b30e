"""The heartbeat that keeps messages invisible while their handler runs.

A message received with a visibility timeout V comes back to another consumer after V seconds unless we
delete it. For handlers that outlive half of V (a large report download), the heartbeat extends the
visibility by V again, in batches of ten.
"""

from __future__ import annotations

import asyncio

import structlog

from consumer.daemon.in_flight import InFlight
from consumer.intake.queue import MAX_BATCH, Queue
from consumer.ops.metrics import Metrics

log = structlog.get_logger("consumer.heartbeat")


class Heartbeat:
    """Extends the visibility of messages whose handlers are still running."""

    def __init__(self, queue: Queue, in_flight: InFlight, visibility: int, metrics: Metrics) -> None:
        self._queue = queue
        self._in_flight = in_flight
        self._visibility = visibility
        self._metrics = metrics
        self.interval = max(0.2, min(5.0, visibility / 4))

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.beat()
            except Exception as exc:
                self._metrics.sqs_errors.labels("ChangeMessageVisibilityBatch").inc()
                log.warning("heartbeat.failed", error=f"{type(exc).__name__}: {exc}")

    async def beat(self) -> None:
        due = self._in_flight.due(within=self._visibility / 2)
        for start in range(0, len(due), MAX_BATCH):
            chunk = due[start : start + MAX_BATCH]
            handles = {str(i): t.message.receipt_handle for i, t in enumerate(chunk)}
            refused = set(await self._queue.change_visibility_batch(handles, self._visibility))
            for i, tracked in enumerate(chunk):
                if str(i) not in refused:
                    self._in_flight.extended(tracked, self._visibility)
                    self._metrics.visibility_extensions.inc()
                    log.info(
                        "heartbeat.extended", message_id=tracked.message.message_id, seconds=self._visibility
                    )
