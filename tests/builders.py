"""Notifications for tests, built from Amazon's official examples (spapi/amazon_models/notifications)."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any

from spapi.model_catalog import NOTIFICATION_SCHEMAS_DIR

APP_ID = "amzn1.sellerapps.app.00000000-test-4000-8000-000000000001"
SPAPI_SOURCE = f"aws.partner/sellingpartnerapi.amazon.com/{APP_ID}"
TEST_TYPE = "SPAPI_NOTIFY_TEST"  # routed to the handler of tests/fixtures/steered_plugin.py


@cache
def _examples(schema_file: str) -> tuple[dict[str, Any], ...]:
    schema = json.loads((NOTIFICATION_SCHEMAS_DIR / schema_file).read_text(encoding="utf-8"))
    return tuple(schema.get("examples", ()))


def example(schema_file: str, index: int = 0) -> dict[str, Any]:
    """A deep copy of one of the official top-level examples of a schema file."""
    return copy.deepcopy(_examples(schema_file)[index])


def example_count(schema_file: str) -> int:
    """How many top-level examples a schema file has."""
    return len(_examples(schema_file))


def _metadata(notification: dict[str, Any]) -> dict[str, Any]:
    key = "NotificationMetadata" if "NotificationMetadata" in notification else "notificationMetadata"
    metadata: dict[str, Any] = notification.setdefault(key, {})
    return metadata


def set_ids(
    notification: dict[str, Any], notification_id: str | None = None, application_id: str | None = APP_ID
) -> dict[str, Any]:
    """Our application id and a fresh (or the given) notification id, in the notification's key case."""
    metadata = _metadata(notification)
    pascal = "ApplicationId" in metadata or "NotificationId" in metadata
    metadata["NotificationId" if pascal else "notificationId"] = notification_id or str(uuid.uuid4())
    if application_id is not None:
        metadata["ApplicationId" if pascal else "applicationId"] = application_id
    return notification


def notification_id_of(notification: dict[str, Any]) -> str:
    metadata = _metadata(notification)
    return str(metadata.get("NotificationId") or metadata.get("notificationId"))


def steered(notification_id: str | None = None, **payload: Any) -> dict[str, Any]:
    """A notification of the test type (PascalCase), handled by tests/fixtures/steered_plugin.py."""
    return {
        "NotificationVersion": "1.0",
        "NotificationType": TEST_TYPE,
        "PayloadVersion": "1.0",
        "EventTime": "2026-11-23T10:00:00.000Z",
        "Payload": payload,
        "NotificationMetadata": {
            "ApplicationId": APP_ID,
            "SubscriptionId": "sub-test",
            "PublishTime": "2026-11-23T10:00:01.000Z",
            "NotificationId": notification_id or str(uuid.uuid4()),
        },
    }


def eventbridge_event(
    notification: dict[str, Any], source: str = SPAPI_SOURCE, *, detail_as_string: bool = False
) -> dict[str, Any]:
    """The event a rule delivers to SQS for an EventBridge destination."""
    kind = notification.get("NotificationType") or notification.get("notificationType")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": kind,
        "source": source,
        "account": "123456789012",
        "time": "2026-11-23T10:00:01Z",
        "region": "us-east-1",
        "resources": [],
        "detail": json.dumps(notification) if detail_as_string else notification,
    }


def sns_wrapped(body: str) -> dict[str, Any]:
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:spapi-notifications",
        "Message": body,
        "Timestamp": "2026-11-23T10:00:02.000Z",
    }


def iso(moment: datetime) -> str:
    """An aware datetime as Amazon writes one: ISO 8601 in UTC, with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
