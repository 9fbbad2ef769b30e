"""Validation at the edge: a notification its rows cannot hold is a schema violation before any handler runs.

Checked before the handler's ``prepare`` (so before any SP-API call): the ledger's own values (notification
id, type, payload version, selling partner, subscription) and every value the handler declares it writes
(handlers.contract.StoredField) against their columns' limits, as store.limits reads them from the tables;
PostgreSQL's text rules over the whole notification (no U+0000, valid Unicode, no NaN); and its EventTime and
PublishTime against the time of receipt, so that a timestamp from the future never reaches an ordering guard.
Errors name the field and the column, never the value (it may be buyer data).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from handlers.contract import Handler, stored_fields
from handlers.errors import PermanentError, Reason
from spapi.notifications import Notification
from spapi.notifications.envelope import ENVELOPE_KEYS, METADATA_KEYS
from spapi.notifications.messages import clip, describe_notification
from store.limits import json_problems, value_problem
from store.tables import NOTIFICATIONS

MAX_PROBLEMS = 5
MAX_PATH = 200


class NotStorable(PermanentError):
    """The notification holds values its rows cannot store, or timestamps from the future.

    ``ledger_ok`` is False when the ledger row itself cannot be written (its id, for one, is unusable): the
    message then goes to the DLQ without a ledger row.
    """

    def __init__(self, message: str, *, ledger_ok: bool) -> None:
        super().__init__(Reason.SCHEMA_VIOLATION, message)
        self.ledger_ok = ledger_ok


def _key(notification: Notification[Any], name: str, metadata: bool = False) -> str:
    pascal, camel = (METADATA_KEYS if metadata else ENVELOPE_KEYS)[name]
    return pascal if notification.key_case == "pascal" else camel


def _metadata_path(notification: Notification[Any], name: str) -> str:
    return f"{_key(notification, 'metadata')}.{_key(notification, name, metadata=True)}"


def ledger_problems(notification: Notification[Any]) -> list[tuple[str, str]]:
    """(path, problem) for each of the ledger row's values its column cannot hold."""
    values = (
        (_metadata_path(notification, "notification_id"), notification.notification_id, "notification_id"),
        (_key(notification, "notification_type"), notification.notification_type, "notification_type"),
        (_key(notification, "payload_version"), notification.payload_version, "payload_version"),
        ("the selling partner id", notification.selling_partner_id, "selling_partner_id"),
        (
            _metadata_path(notification, "subscription_id"),
            notification.metadata.subscription_id,
            "subscription_id",
        ),
    )
    return [
        (path, problem)
        for path, value, column in values
        if (problem := value_problem(value, NOTIFICATIONS.c[column])) is not None
    ]


def _future(
    notification: Notification[Any], received_at: datetime, tolerance: float
) -> Iterator[tuple[str, str]]:
    for path, moment in (
        (_key(notification, "event_time"), notification.event_time),
        (_metadata_path(notification, "publish_time"), notification.metadata.publish_time),
    ):
        if moment is not None and (ahead := moment - received_at) > timedelta(seconds=tolerance):
            yield (
                path,
                (
                    f"is {_duration(ahead)} ahead of the time it was received (more than the {tolerance:g} s "
                    "tolerated): it would outrank every real notification in the ordering guards"
                ),
            )


def _duration(span: timedelta) -> str:
    seconds = span.total_seconds()
    for unit, size in (("years", 365.25 * 86_400), ("days", 86_400), ("hours", 3_600), ("minutes", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def storable_problems(
    notification: Notification[Any], handler: Handler, received_at: datetime, future_tolerance: float
) -> list[tuple[str, str]]:
    """Every (path, problem) of the notification, one per path (see the module docstring)."""
    found: dict[str, str] = {}
    sources = (
        ledger_problems(notification),
        json_problems(notification.raw),
        (
            (field.path, problem)
            for field in stored_fields(handler, notification)
            if (problem := value_problem(field.value, field.column)) is not None
        ),
        _future(notification, received_at, future_tolerance),
    )
    for source in sources:
        for path, problem in source:
            found.setdefault(clip(path, MAX_PATH), problem)
    return list(found.items())


def check_storable(
    notification: Notification[Any], handler: Handler, received_at: datetime, future_tolerance: float
) -> None:
    """Raise NotStorable naming each problem (see the module docstring); return when there is none."""
    problems = storable_problems(notification, handler, received_at, future_tolerance)
    if not problems:
        return
    described = describe_notification(
        notification.notification_type, notification.payload_version, notification.notification_id
    )
    shown = [f"{path} {problem}" for path, problem in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"and {len(problems) - MAX_PROBLEMS} more")
    raise NotStorable(f"{described}: {'; '.join(shown)}", ledger_ok=not ledger_problems(notification))
