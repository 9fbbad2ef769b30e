"""Sending a permanently bad message to the dead-letter queue, with why, so nothing is dropped silently."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from consumer.intake.message import SqsMessage
from consumer.intake.queue import Queue
from handlers.errors import Reason

# Message attribute names (SQS allows letters, digits, '_', '-', '.'). Replay and `dlq show` read them.
REASON = "spapi-notify.reason"
ERROR = "spapi-notify.error"
SOURCE_QUEUE = "spapi-notify.source-queue"
SOURCE_MESSAGE_ID = "spapi-notify.source-message-id"
FAILED_AT = "spapi-notify.failed-at"
RECEIVE_COUNT = "spapi-notify.receive-count"
OURS = (REASON, ERROR, SOURCE_QUEUE, SOURCE_MESSAGE_ID, FAILED_AT, RECEIVE_COUNT)

MAX_ATTRIBUTES = 10  # SQS's limit per message
MAX_ERROR_CHARS = 1000


def _string(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def dead_letter_attributes(
    message: SqsMessage, reason: Reason, error: str, source_queue: str, at: datetime
) -> dict[str, Any]:
    """Our attributes first; then as many of the message's own as SQS's limit of ten leaves room for."""
    ours: dict[str, Any] = {
        REASON: _string(reason.value),
        ERROR: _string(error[:MAX_ERROR_CHARS] or reason.value),
        SOURCE_QUEUE: _string(source_queue),
        SOURCE_MESSAGE_ID: _string(message.message_id),
        FAILED_AT: _string(at.isoformat()),
        RECEIVE_COUNT: {"DataType": "Number", "StringValue": str(message.receive_count)},
    }
    for name, value in _sendable(message.message_attributes).items():
        if len(ours) >= MAX_ATTRIBUTES:
            break
        ours.setdefault(name, value)
    return ours


def _sendable(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """ReceiveMessage returns list fields SendMessage refuses; keep only what SendMessage takes."""
    keep = ("DataType", "StringValue", "BinaryValue")
    return {
        name: {k: v for k, v in value.items() if k in keep}
        for name, value in attributes.items()
        if isinstance(value, Mapping) and name not in OURS
    }


class DeadLetterQueue:
    """The DLQ of one source queue."""

    def __init__(self, queue: Queue, source_queue: str) -> None:
        self.queue = queue
        self.source_queue = source_queue

    def __repr__(self) -> str:
        return f"DeadLetterQueue({self.queue.url!r})"

    async def send(self, message: SqsMessage, reason: Reason, error: str, at: datetime) -> str:
        """Send the message, body unchanged, with why it failed; returns the DLQ's message id."""
        attributes = dead_letter_attributes(message, reason, error, self.source_queue, at)
        return await self.queue.send(message.body, attributes)
