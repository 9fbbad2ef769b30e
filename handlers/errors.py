"""What can go wrong with one message, sorted by what the daemon does about it.

A PermanentError means the message can never succeed as it is (malformed, foreign, unknown seller): it goes to
the dead-letter queue with its ``reason`` and message in message attributes, and is deleted from the source
queue. A TransientError (or any other exception) means it may succeed later: the message stays in the queue,
its visibility backed off, and SQS's redrive moves it to the DLQ after maxReceiveCount.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a message was dead-lettered or failed: a stable code (metrics label, DLQ message attribute)."""

    MALFORMED_JSON = "malformed_json"
    UNKNOWN_ENVELOPE = "unknown_envelope"
    SCHEMA_VIOLATION = "schema_violation"
    FOREIGN_APPLICATION = "foreign_application"
    FOREIGN_EVENT_SOURCE = "foreign_event_source"
    UNKNOWN_SELLER = "unknown_seller"
    SELLER_CREDENTIALS = "seller_credentials"
    SPAPI_REJECTED = "spapi_rejected"
    HANDLER_REJECTED = "handler_rejected"
    # Transient reasons (failed_total{reason}, delivery_failures.reason):
    DATABASE = "database"
    SPAPI = "spapi"
    THROTTLED = "throttled"
    HANDLER_ERROR = "handler_error"
    TIMEOUT = "timeout"


class MessageError(Exception):
    """A failure of one message, with a stable reason code."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


class PermanentError(MessageError):
    """The message can never be processed as it is; dead-letter it with this reason."""


class TransientError(MessageError):
    """The message may succeed later (a dependency is down or throttling); leave it in the queue."""
