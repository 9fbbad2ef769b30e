"""Passwords in URLs are masked wherever text is printed or logged."""

from __future__ import annotations

import pytest

from consumer.ops.redact import mask_log_event, mask_passwords, masked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql+asyncpg://app:s3cret@db:5432/x", "postgresql+asyncpg://app:***@db:5432/x"),
        (
            "error: the database postgresql://u:p@ss@h/db is down",
            "error: the database postgresql://u:***@h/db is down",
        ),
        ("redis://:only-password@cache:6379", "redis://:***@cache:6379"),
        ("http://127.0.0.1:9464/metrics", "http://127.0.0.1:9464/metrics"),
        ("sqlite+aiosqlite:///./spapi-notify.db", "sqlite+aiosqlite:///./spapi-notify.db"),
        ("s3://bucket/prefix and http://user@host/", "s3://bucket/prefix and http://user@host/"),
        ("no url here: a:b@c", "no url here: a:b@c"),
    ],
)
def test_url_passwords_are_masked(text: str, expected: str) -> None:
    assert mask_passwords(text) == expected


def test_nested_values_and_log_events_are_masked() -> None:
    assert masked({"a": ["x://u:pw@h"], "b": 3, "c": None}) == {"a": ["x://u:***@h"], "b": 3, "c": None}
    event = {"event": "db.error", "error": "cannot reach postgresql://u:pw@h/db", "count": 1}
    assert mask_log_event(None, "warning", event) == {
        "event": "db.error",
        "error": "cannot reach postgresql://u:***@h/db",
        "count": 1,
    }
