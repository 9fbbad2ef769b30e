"""Validation at the edge, on its own: each field named in the wire's own key case, limits from the tables,
the future tolerance, and no value echoed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from consumer.daemon.storable import NotStorable, check_storable, storable_problems
from handlers.registry import IgnoreHandler
from handlers.stored_fields import report_fields
from spapi.notifications import Notification, parse_notification
from tests.builders import example, set_ids

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class ReportFields:
    """A handler that declares the report handler's fields and does nothing."""

    async def prepare(self, notification: Notification[Any]) -> Any:
        raise AssertionError("never called")

    def stored_fields(self, notification: Notification[Any]) -> Any:
        return report_fields(notification)


def report(**changes: Any) -> dict[str, Any]:
    notification = set_ids(example("ReportProcessingFinishedNotification.json"))
    notification["payload"]["reportProcessingFinishedNotification"].update(changes)
    notification["eventTime"] = "2026-11-23T09:59:00Z"
    notification["notificationMetadata"]["publishTime"] = "2026-11-23T09:59:01Z"
    return notification


def test_fields_are_named_in_the_notification_s_own_key_case() -> None:
    notification = parse_notification(report(reportId="7" * 65, reportType="GET_\x00_REPORT"))
    problems = dict(storable_problems(notification, ReportFields(), NOW, 300))
    assert set(problems) == {
        "payload.reportProcessingFinishedNotification.reportId",
        "payload.reportProcessingFinishedNotification.reportType",
    }
    assert problems["payload.reportProcessingFinishedNotification.reportId"] == (
        "is 65 characters long, more than the 64 of reports.report_id"
    )


@pytest.mark.parametrize(("seconds", "refused"), [(299, False), (301, True)])
def test_timestamps_ahead_of_the_tolerance_are_refused(seconds: int, refused: bool) -> None:
    notification = parse_notification(report())
    assert notification.event_time is not None
    # The notification says it was made this long after it arrived.
    received_at = notification.event_time - timedelta(seconds=seconds)
    problems = dict(storable_problems(notification, IgnoreHandler(), received_at, 300))
    assert ("eventTime" in problems) is refused


def test_the_error_names_the_field_and_whether_the_ledger_can_hold_the_row() -> None:
    long_id = set_ids(report(), notification_id="x" * 129)
    with pytest.raises(NotStorable) as caught:
        check_storable(parse_notification(long_id), IgnoreHandler(), NOW, 300)
    assert not caught.value.ledger_ok
    assert "notificationMetadata.notificationId is 129 characters long" in caught.value.message
    assert "x" * 81 not in caught.value.message  # the id is clipped in the description
    far = report()
    far["eventTime"] = "2999-01-01T00:00:00Z"
    with pytest.raises(NotStorable) as caught:
        check_storable(parse_notification(far), IgnoreHandler(), NOW, 300)
    assert caught.value.ledger_ok
    assert "eventTime is 972 years ahead of the time it was received" in caught.value.message
