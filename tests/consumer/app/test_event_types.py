"""SPAPI_NOTIFY_EVENT_TYPES and SPAPI_NOTIFY_CHANGES_RETENTION_DAYS, from settings to the handler's config."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consumer.app.configs import changes_retention, event_types
from consumer.settings import Settings, SettingsError
from handlers.notification_events import EventTypes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("all", EventTypes()),
        ("", EventTypes()),
        (" ALL ", EventTypes()),
        ("none", EventTypes.of(only=())),
        ("ANY_OFFER_CHANGED", EventTypes.of(only=["ANY_OFFER_CHANGED"])),
        ("FEE_PROMOTION, PRICING_HEALTH", EventTypes.of(only=["FEE_PROMOTION", "PRICING_HEALTH"])),
        ("-ANY_OFFER_CHANGED", EventTypes.of(not_=["ANY_OFFER_CHANGED"])),
        (
            "all,-ANY_OFFER_CHANGED,-B2B_ANY_OFFER_CHANGED",
            EventTypes.of(not_=["ANY_OFFER_CHANGED", "B2B_ANY_OFFER_CHANGED"]),
        ),
    ],
)
def test_the_setting_names_the_types_kept(value: str, expected: EventTypes) -> None:
    assert event_types(Settings(event_types=value)) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ANY_OFFER_CHANGE", "unknown notification type 'ANY_OFFER_CHANGE'; did you mean ANY_OFFER_CHANGED"),
        ("-FEE_PROMOTIONS", "unknown notification type 'FEE_PROMOTIONS'"),
        ("FEE_PROMOTION,-PRICING_HEALTH", "not a mixture"),
        ("none,FEE_PROMOTION", "not a mixture"),
    ],
)
def test_a_misspelt_or_mixed_setting_is_refused(value: str, message: str) -> None:
    with pytest.raises(SettingsError, match="SPAPI_NOTIFY_EVENT_TYPES") as raised:
        event_types(Settings(event_types=value))
    assert message in str(raised.value)


def test_retention_in_days_and_zero_keeps_changes_forever() -> None:
    assert changes_retention(Settings()) == timedelta(days=7)
    assert changes_retention(Settings(changes_retention_days=0.5)) == timedelta(hours=12)
    assert changes_retention(Settings(changes_retention_days=0)) is None
