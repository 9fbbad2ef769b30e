"""Who a message is about, as far as it can be told: from a valid notification, or guessed from one that
failed validation, so that a dead-lettered notification still gets its ledger row and its log fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column

from spapi.notifications import Notification, find_selling_partner_id
from spapi.notifications.envelope import ENVELOPE_KEYS, METADATA_KEYS
from store.limits import max_length, text_problem, value_problem
from store.tables import NOTIFICATIONS

_LEDGER = NOTIFICATIONS.c


@dataclass(frozen=True)
class Identity:
    """Who a message is about: the notification's ids, type, seller and times (None where unknown)."""

    notification_id: str
    notification_type: str
    payload_version: str
    selling_partner_id: str | None = None
    subscription_id: str | None = None
    event_time: datetime | None = None
    publish_time: datetime | None = None

    @classmethod
    def of(cls, notification: Notification[Any]) -> Identity:
        return cls(
            notification_id=notification.metadata.notification_id,
            notification_type=notification.notification_type,
            payload_version=notification.payload_version,
            selling_partner_id=notification.selling_partner_id,
            subscription_id=notification.metadata.subscription_id,
            event_time=notification.event_time,
            publish_time=notification.metadata.publish_time,
        )

    @classmethod
    def guess(cls, raw: Mapping[str, Any]) -> Identity | None:
        """Best effort for a notification that failed validation; None without a usable notification id."""
        metadata = _pick(raw, ENVELOPE_KEYS["metadata"])
        if not isinstance(metadata, Mapping):
            return None
        notification_id = _pick(metadata, METADATA_KEYS["notification_id"])
        # An id the ledger cannot store would only fail to be recorded: then there is no identity at all.
        if not isinstance(notification_id, str) or not notification_id:
            return None
        if value_problem(notification_id, _LEDGER.notification_id) is not None:
            return None
        payload = _pick(raw, ENVELOPE_KEYS["payload"])
        partner = find_selling_partner_id(payload) if isinstance(payload, Mapping) else None
        kind = _text(_pick(raw, ENVELOPE_KEYS["notification_type"]), _LEDGER.notification_type)
        version = _text(_pick(raw, ENVELOPE_KEYS["payload_version"]), _LEDGER.payload_version)
        return cls(
            notification_id=notification_id,
            notification_type=kind or "UNKNOWN",
            payload_version=version or "",
            selling_partner_id=_text(partner, _LEDGER.selling_partner_id),
            subscription_id=_text(_pick(metadata, METADATA_KEYS["subscription_id"]), _LEDGER.subscription_id),
            event_time=_time(_pick(raw, ENVELOPE_KEYS["event_time"])),
            publish_time=_time(_pick(metadata, METADATA_KEYS["publish_time"])),
        )

    def log_fields(self) -> dict[str, str | None]:
        return {
            "notification_id": self.notification_id,
            "notification_type": self.notification_type,
            "selling_partner_id": self.selling_partner_id,
        }


def _pick(obj: Mapping[str, Any], keys: tuple[str, str]) -> Any:
    pascal, camel = keys
    return obj.get(pascal, obj.get(camel))


def _text(value: Any, column: Column[Any]) -> str | None:
    """A guessed value as its ledger column can hold it: clipped to the column, None when it is no text the
    database takes (it is a guess; the DLQ keeps the message as it came)."""
    if not isinstance(value, str) or not value or text_problem(value) is not None:
        return None
    return value[: max_length(column) or len(value)]


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
