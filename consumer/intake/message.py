"""One SQS message as the consumer sees it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class SqsMessage:
    """A received SQS message: body, receipt handle, receive count and attributes."""

    message_id: str
    receipt_handle: str = field(repr=False)
    body: str = field(repr=False)
    receive_count: int
    sent_at: datetime | None
    attributes: Mapping[str, str] = field(default_factory=dict, repr=False)
    message_attributes: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_boto(cls, raw: Mapping[str, Any]) -> SqsMessage:
        attributes: Mapping[str, str] = raw.get("Attributes") or {}
        sent = attributes.get("SentTimestamp")
        return cls(
            message_id=raw["MessageId"],
            receipt_handle=raw["ReceiptHandle"],
            body=raw.get("Body", ""),
            receive_count=int(attributes.get("ApproximateReceiveCount", "1")),
            sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
            attributes=attributes,
            message_attributes=raw.get("MessageAttributes") or {},
        )
