"""Reading a whole dead-letter queue once, without consuming it.

SQS has no "peek": reading a message hides it for a visibility timeout. The scan receives with a long one
(the hold), so that a message it has seen stays out of the way until the scan ends and the next receive
returns a message it has not; then it makes every message it still holds visible again. Should a hold run
out anyway (a very long scan), the message comes back with a new receipt handle: it is recognised by its
MessageId, its handle is refreshed, and a batch of nothing new ends the scan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog

from consumer.intake.message import SqsMessage
from consumer.intake.queue import MAX_BATCH, Queue

log = structlog.get_logger("consumer.dlq.scan")

DEFAULT_HOLD_SECONDS = 900
# A long poll asks every SQS server, so an empty answer means an empty queue; a short poll samples a subset
# and can answer empty while messages remain.
DEFAULT_WAIT_SECONDS = 1


class DlqScan:
    """One pass over a queue; ``release`` (always call it) makes what was read and kept visible again."""

    def __init__(
        self,
        queue: Queue,
        hold_seconds: int = DEFAULT_HOLD_SECONDS,
        wait_seconds: int = DEFAULT_WAIT_SECONDS,
    ) -> None:
        self.queue = queue
        self.hold_seconds = hold_seconds
        self.wait_seconds = wait_seconds
        self._held: dict[str, str] = {}  # message id -> latest receipt handle
        self._seen: set[str] = set()

    @property
    def held(self) -> int:
        return len(self._held)

    def receipt_handle(self, message_id: str) -> str:
        return self._held[message_id]

    async def batches(self) -> AsyncIterator[list[SqsMessage]]:
        """Batches of messages not seen before in this scan, until the queue has nothing new."""
        while True:
            received = await self.queue.receive(MAX_BATCH, self.wait_seconds, self.hold_seconds)
            if not received:
                return
            new: list[SqsMessage] = []
            for message in received:
                self._held[message.message_id] = message.receipt_handle
                if message.message_id not in self._seen:
                    self._seen.add(message.message_id)
                    new.append(message)
            if not new:
                log.warning("dlq_scan.hold_expired", queue=self.queue.url, hold_seconds=self.hold_seconds)
                return
            yield new

    def forget(self, message_id: str) -> None:
        """The message was deleted: nothing to release."""
        self._held.pop(message_id, None)

    async def release(self) -> int:
        """Make every message still held visible again; returns how many SQS refused to release."""
        refused = 0
        held = list(self._held.items())
        for start in range(0, len(held), MAX_BATCH):
            chunk = dict(held[start : start + MAX_BATCH])
            refused += len(await self.queue.change_visibility_batch(chunk, 0))
            for message_id in chunk:
                self._held.pop(message_id, None)
        return refused
