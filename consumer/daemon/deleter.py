"""Deleting settled messages from SQS in batches of ten, a few milliseconds after they are committed.

A delete that fails is not retried forever: the message reappears after its visibility timeout, finds its
ledger row, and is deleted then, without side effects.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from consumer.intake.message import SqsMessage
from consumer.intake.queue import MAX_BATCH, Queue
from consumer.ops.metrics import Metrics

log = structlog.get_logger("consumer.daemon.deleter")


class BatchDeleter:
    """Deletes settled messages from the queue, batched into DeleteMessageBatch calls of up to ten."""

    def __init__(self, queue: Queue, metrics: Metrics, *, linger: float = 0.02, concurrency: int = 4) -> None:
        self._queue = queue
        self._metrics = metrics
        self._linger = linger
        self._pending: dict[str, str] = {}
        self._wake = asyncio.Event()
        self._full = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._batches: set[asyncio.Task[None]] = set()

    def delete(self, message: SqsMessage) -> None:
        self._pending[message.message_id] = message.receipt_handle
        self._wake.set()
        if len(self._pending) >= MAX_BATCH:
            self._full.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            # Linger briefly so that messages finishing together share one DeleteMessageBatch call.
            if len(self._pending) < MAX_BATCH:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self._linger)
            await self._send_all()

    async def _send_all(self) -> None:
        self._wake.clear()
        self._full.clear()
        while self._pending:
            batch = dict(list(self._pending.items())[:MAX_BATCH])
            for key in batch:
                del self._pending[key]
            await self._slots.acquire()
            task = asyncio.create_task(self._send(batch))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)

    async def _send(self, batch: dict[str, str]) -> None:
        try:
            await self._queue.delete_batch(batch)
        except Exception as exc:
            self._metrics.sqs_errors.labels("DeleteMessageBatch").inc()
            log.warning(
                "sqs.delete_failed",
                messages=len(batch),
                error=f"{type(exc).__name__}: {exc}",
                consequence="redelivered after the visibility timeout, then acknowledged as duplicates",
            )
        finally:
            self._slots.release()

    async def flush(self) -> None:
        """Send whatever is pending and wait for every batch in progress."""
        await self._send_all()
        if self._batches:
            await asyncio.gather(*self._batches, return_exceptions=True)
