"""A fix to the embedded SQS emulator: moto's queue deletes take the lock its sends take.

moto (5.x) deletes a message by rebuilding the queue's message list and assigning it back, without a lock,
while its server answers requests on several threads. Two deletes answered at once can each undo the other's
(every DeleteMessageBatch answers success, yet deleted messages stay in flight until their visibility timeout
and then come back), and a message sent during a delete can vanish. Real SQS has no such race; a daemon
deleting in concurrent batches, as ours does, meets it here: 20 of 400 messages stayed after eight threads had
deleted them all, in one trial of five. Sends already hold the queue's lock, so deletes take it too.
"""

from __future__ import annotations

from functools import cache


@cache  # once per process: every server started after it shares the fixed class
def serialise_deletes() -> None:
    """Make moto's ``Queue.delete_message`` hold the queue's message lock (needs moto installed)."""
    from moto.sqs.models import Queue  # noqa: PLC0415 (optional dependency: the demo extra)

    unlocked = Queue.delete_message

    def delete_message(self: Queue, receipt_handle: str) -> None:
        with self._messages_lock:
            unlocked(self, receipt_handle)

    Queue.delete_message = delete_message  # type: ignore[method-assign]
