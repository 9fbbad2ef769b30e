"""The attributes a dead-lettered message carries: why it failed, within SQS's limits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from consumer.intake.dead_letter import MAX_ATTRIBUTES, REASON, RECEIVE_COUNT, dead_letter_attributes
from consumer.intake.message import SqsMessage
from handlers.errors import Reason


def _message(attributes: dict[str, Any] | None = None) -> SqsMessage:
    return SqsMessage(
        message_id="m-1",
        receipt_handle="r-1",
        body="{}",
        receive_count=3,
        sent_at=None,
        message_attributes=attributes or {},
    )


def test_dead_letter_attributes_say_why_and_keep_the_originals_within_the_limit() -> None:
    originals = {
        f"attr{i}": {"DataType": "String", "StringValue": str(i), "StringListValues": []} for i in range(8)
    }
    at = datetime(2026, 11, 23, tzinfo=UTC)
    attributes = dead_letter_attributes(_message(originals), Reason.SCHEMA_VIOLATION, "x" * 5000, "arn:q", at)
    assert len(attributes) == MAX_ATTRIBUTES
    assert attributes[REASON] == {"DataType": "String", "StringValue": "schema_violation"}
    assert attributes[RECEIVE_COUNT] == {"DataType": "Number", "StringValue": "3"}
    assert all(len(v.get("StringValue", "")) <= 1000 for v in attributes.values())
    assert attributes["attr0"] == {"DataType": "String", "StringValue": "0"}  # receive-only fields dropped
