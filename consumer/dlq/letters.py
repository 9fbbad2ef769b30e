"""What one dead-lettered message is: its notification (as far as the body can be read) and why it failed.

Two kinds of messages reach the DLQ. Those the daemon dead-lettered carry our ``spapi-notify.*`` attributes
(reason, error, failed-at, receive count). Those SQS's redrive moved after maxReceiveCount carry none of
ours; their first failure can come from the ledger's ``delivery_failures`` table when a database is at hand.
A body that cannot be read at all is still described (with the reason it cannot be read), never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.dlq.scan import DlqScan
from consumer.intake.dead_letter import (
    ERROR,
    FAILED_AT,
    OURS,
    REASON,
    RECEIVE_COUNT,
    SOURCE_MESSAGE_ID,
    SOURCE_QUEUE,
)
from consumer.intake.message import SqsMessage
from consumer.intake.unwrap import unwrap
from handlers.errors import PermanentError
from spapi.notifications import canonical_type, find_selling_partner_id
from store.ledger import first_failure

# What SendMessage accepts of a received message attribute (ReceiveMessage adds list fields it refuses).
_SENDABLE_FIELDS = ("DataType", "StringValue", "BinaryValue")


@dataclass(frozen=True)
class DlqMessage:
    """One DLQ message and what is known about it. ``reason`` is None when nothing says why it failed."""

    message: SqsMessage
    notification_type: str | None
    seller: str | None
    notification_id: str | None
    reason: str | None
    error: str | None
    failed_at: datetime | None
    receive_count: int
    source_queue: str | None
    source_message_id: str | None
    dead_lettered_by_us: bool
    problem: str | None
    """Why the body holds no readable notification (malformed JSON, unknown envelope), else None."""

    @property
    def message_id(self) -> str:
        return self.message.message_id

    @property
    def when(self) -> datetime | None:
        """What ``--since``/``--until`` compare: the failure time, else when the message was first sent."""
        return self.failed_at or self.message.sent_at

    def matches_id(self, wanted: str) -> bool:
        return wanted in (self.message_id, self.notification_id, self.source_message_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "notification_type": self.notification_type,
            "seller": self.seller,
            "notification_id": self.notification_id,
            "reason": self.reason,
            "error": self.error,
            "failed_at": _iso(self.failed_at),
            "sent_at": _iso(self.message.sent_at),
            "receive_count": self.receive_count,
            "source_queue": self.source_queue,
            "source_message_id": self.source_message_id,
            "dead_lettered_by": "spapi-notify" if self.dead_lettered_by_us else "redrive",
            "problem": self.problem,
        }


def describe(message: SqsMessage) -> DlqMessage:
    """What a DLQ message is about and why it failed; a body that cannot be read is described too."""
    notification: Mapping[str, Any] | None
    try:
        notification = unwrap(message.body).notification
        problem = None
    except PermanentError as exc:
        notification, problem = None, str(exc)
    receive_count = _our_attribute(message, RECEIVE_COUNT)
    return DlqMessage(
        message=message,
        notification_type=_notification_type(notification),
        seller=_seller(notification),
        notification_id=_notification_id(notification),
        reason=_our_attribute(message, REASON),
        error=_our_attribute(message, ERROR),
        failed_at=_parse_time(_our_attribute(message, FAILED_AT)),
        receive_count=int(receive_count)
        if receive_count and receive_count.isdigit()
        else message.receive_count,
        source_queue=_our_attribute(message, SOURCE_QUEUE),
        source_message_id=_our_attribute(message, SOURCE_MESSAGE_ID),
        dead_lettered_by_us=_our_attribute(message, REASON) is not None,
        problem=problem,
    )


async def with_first_failures(engine: AsyncEngine, letters: Sequence[DlqMessage]) -> list[DlqMessage]:
    """Fill in the reason of redriven messages from the first transient failure the ledger recorded."""
    described: list[DlqMessage] = []
    async with engine.connect() as connection:
        for letter in letters:
            if letter.reason is not None:
                described.append(letter)
                continue
            failure = await first_failure(connection, letter.message_id)
            if failure is None:
                described.append(letter)
                continue
            described.append(
                replace(
                    letter,
                    reason=failure.reason,
                    error=failure.error,
                    failed_at=letter.failed_at or _aware(failure.failed_at),
                    notification_type=letter.notification_type or failure.notification_type,
                    notification_id=letter.notification_id or failure.notification_id,
                )
            )
    return described


async def find(scan: DlqScan, wanted: str) -> DlqMessage | None:
    """The DLQ message whose MessageId, notification id or original MessageId is ``wanted``.

    Stops at the first match; every message read is made visible again.
    """
    try:
        async for batch in scan.batches():
            for message in batch:
                letter = describe(message)
                if letter.matches_id(wanted):
                    return letter
        return None
    finally:
        await scan.release()


def resend_attributes(message: SqsMessage) -> dict[str, Any]:
    """The attributes a replayed message goes back with: the sender's own, none of our dead-letter ones.

    Ours describe one failed delivery; left on, a second dead-lettering would show a stale reason and
    receive count, and the consumer should meet the message as it first arrived.
    """
    return {
        name: {key: value[key] for key in _SENDABLE_FIELDS if key in value}
        for name, value in message.message_attributes.items()
        if name not in OURS and isinstance(value, Mapping)
    }


def _our_attribute(message: SqsMessage, name: str) -> str | None:
    value = message.message_attributes.get(name)
    if not isinstance(value, Mapping):
        return None
    text = value.get("StringValue")
    return text if isinstance(text, str) and text else None


def _pick(obj: Mapping[str, Any] | None, *keys: str) -> Any:
    if obj is None:
        return None
    for key in keys:
        if key in obj:
            return obj[key]
    return None


def _notification_type(notification: Mapping[str, Any] | None) -> str | None:
    value = _pick(notification, "NotificationType", "notificationType")
    return canonical_type(value) if isinstance(value, str) and value else None


def _notification_id(notification: Mapping[str, Any] | None) -> str | None:
    metadata = _pick(notification, "NotificationMetadata", "notificationMetadata")
    if not isinstance(metadata, Mapping):
        return None
    value = _pick(metadata, "NotificationId", "notificationId")
    return value if isinstance(value, str) and value else None


def _seller(notification: Mapping[str, Any] | None) -> str | None:
    payload = _pick(notification, "Payload", "payload")
    return find_selling_partner_id(payload) if isinstance(payload, Mapping) else None


def _parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return _aware(datetime.fromisoformat(text))
    except ValueError:
        return None


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time the ledger stores is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
