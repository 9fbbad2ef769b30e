"""Messages being worked on, and the heartbeat that keeps them invisible while their handler runs.

A message received with a visibility timeout V comes back to another consumer after V seconds unless we
delete it. For handlers that outlive half of V (a large report download), the heartbeat extends the
visibility by V again, in batches of ten.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from consumer.message import SqsMessage
from consumer.metrics import Metrics
from consumer.sqs import MAX_BATCH, Queue

log = structlog.get_logger("consumer.heartbeat")


@dataclass
class Tracked:
    message: SqsMessage
    visible_until: float
    acted: bool = False  # its outcome reached SQS (delete queued, dead-lettered or backed off)


class InFlight:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tracked: dict[str, Tracked] = {}

    def __len__(self) -> int:
        return len(self._tracked)

    def add(self, message: SqsMessage, visibility: float) -> None:
        self._tracked[message.message_id] = Tracked(message, self._clock() + visibility)

    def mark_acted(self, message: SqsMessage) -> None:
        tracked = self._tracked.get(message.message_id)
        if tracked is not None:
            tracked.acted = True

    def remove(self, message: SqsMessage) -> None:
        self._tracked.pop(message.message_id, None)

    def unacted(self) -> list[SqsMessage]:
        return [t.message for t in self._tracked.values() if not t.acted]

    def extended(self, tracked: Tracked, seconds: float) -> None:
        tracked.visible_until = self._clock() + seconds

    def due(self, within: float) -> list[Tracked]:
        """Messages whose visibility ends within ``within`` seconds and that are still being worked on."""
        limit = self._clock() + within
        return [t for t in self._tracked.values() if not t.acted and t.visible_until <= limit]


class Heartbeat:
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
