"""Pure parts of the daemon: backoff, the sorting of failures, capacity, identity."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from consumer.daemon.backoff import MAX_VISIBILITY, retry_visibility
from consumer.daemon.capacity import Capacity
from consumer.daemon.failures import classify
from consumer.daemon.identity import Identity
from consumer.daemon.outcome import DeadLetter, Retry
from handlers.errors import PermanentError, Reason, TransientError
from spapi.errors import BadRequest, InvalidGrant, NotFound, QuotaExceeded, ServerError, TransportError


def test_retry_visibility_grows_with_the_receive_count_and_is_capped() -> None:
    rng = random.Random(7)
    first = [retry_visibility(1, 10, 900, rng) for _ in range(200)]
    assert all(5 <= v <= 10 for v in first)
    assert len(set(first)) > 1  # jittered
    assert all(80 <= retry_visibility(5, 10, 900, rng) <= 160 for _ in range(50))
    assert all(450 <= retry_visibility(40, 10, 900, rng) <= 900 for _ in range(50))
    assert retry_visibility(3, 10_000, 10**9, rng) <= MAX_VISIBILITY


IDENTITY = Identity("n-1", "ORDER_CHANGE", "1.0")


@pytest.mark.parametrize(
    ("exc", "expected", "reason"),
    [
        (PermanentError(Reason.UNKNOWN_SELLER, "no credentials"), DeadLetter, Reason.UNKNOWN_SELLER),
        (TransientError(Reason.SPAPI, "later"), Retry, Reason.SPAPI),
        (
            InvalidGrant(subject="A1", status=400, error="invalid_grant", description="revoked"),
            DeadLetter,
            Reason.SELLER_CREDENTIALS,
        ),
        (QuotaExceeded(operation="op", status=429, selling_partner="A1"), Retry, Reason.THROTTLED),
        (ServerError(operation="op", status=503, selling_partner="A1"), Retry, Reason.SPAPI),
        (TransportError("op", "A1", httpx.ConnectError("refused")), Retry, Reason.SPAPI),
        (BadRequest(operation="op", status=400, selling_partner="A1"), DeadLetter, Reason.SPAPI_REJECTED),
        (NotFound(operation="op", status=404, selling_partner="A1"), Retry, Reason.SPAPI),
        (
            OperationalError("SELECT 1", {"buyer": "Jane Doe"}, Exception("connection refused")),
            Retry,
            Reason.DATABASE,
        ),
        (TimeoutError(), Retry, Reason.TIMEOUT),
        (KeyError("bug"), Retry, Reason.HANDLER_ERROR),
    ],
)
def test_failures_are_sorted_into_dead_letter_and_retry(
    exc: Exception, expected: type, reason: Reason
) -> None:
    outcome = classify(exc, IDENTITY)
    assert isinstance(outcome, expected)
    assert outcome.reason is reason
    assert outcome.identity is IDENTITY
    assert "Jane Doe" not in outcome.error  # SQLAlchemy's parameters never reach logs or the DLQ


async def test_capacity_hands_out_what_is_free_and_waits_when_full() -> None:
    capacity = Capacity(12)
    assert await capacity.take(10) == 10
    assert await capacity.take(10) == 2
    waiter = asyncio.create_task(capacity.take(10))
    await asyncio.sleep(0)
    assert not waiter.done()
    await capacity.give_back(3)
    assert await waiter == 3
    assert capacity.in_use == 12


def test_identity_is_guessed_from_an_invalid_notification_in_either_key_case() -> None:
    pascal = {
        "NotificationType": "ORDER_CHANGE",
        "PayloadVersion": "1.0",
        "EventTime": "2026-11-23T10:00:00Z",
        "Payload": {"OrderChangeNotification": {"SellerId": "A1SELLER"}},
        "NotificationMetadata": {"NotificationId": "n-42", "SubscriptionId": "s-1"},
    }
    guessed = Identity.guess(pascal)
    assert guessed is not None
    assert (guessed.notification_id, guessed.selling_partner_id, guessed.subscription_id) == (
        "n-42",
        "A1SELLER",
        "s-1",
    )
    assert guessed.event_time == datetime(2026, 11, 23, 10, tzinfo=UTC)
    camel = {
        "notificationType": "X",
        "notificationMetadata": {"notificationId": "n-7"},
        "eventTime": "garbage",
    }
    guessed = Identity.guess(camel)
    assert guessed is not None
    assert (guessed.notification_id, guessed.event_time, guessed.payload_version) == ("n-7", None, "")
    assert Identity.guess({"NotificationMetadata": {"NotificationId": 12}}) is None
    assert Identity.guess({"NotificationType": "X"}) is None
