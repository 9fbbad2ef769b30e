"""Amazon's token buckets: per selling partner and operation, full at start, refilled at the plan's rate."""

from __future__ import annotations

import httpx
import pytest

from spapi.sandbox import SandboxState
from spapi.sandbox.ratelimit import TokenBucket
from tests.fixtures.clock import FakeClock
from tests.fixtures.sandbox_http import SELLER_ID, Tokens

OP = "listingsItems_2021-08-01.getListingsItem"
LISTING = f"/listings/2021-08-01/items/{SELLER_ID}/SKU-1"
PARAMS = {"marketplaceIds": "ATVPDKIKX0DER"}


def get_listing(http: httpx.Client, token: str) -> httpx.Response:
    return http.get(LISTING, params=PARAMS, headers=Tokens.auth(token))


def test_burst_then_quota_exceeded(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    state.set_rate_limit(OP, rate=2.0, burst=3)
    statuses = [get_listing(http, tokens.seller).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = get_listing(http, tokens.seller)
    assert throttled.json() == {
        "errors": [
            {"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource."}
        ]
    }
    assert throttled.headers["x-amzn-RateLimit-Limit"] == "2.0"
    assert throttled.headers["x-amzn-RequestId"]
    assert state.calls[OP] == 3
    assert state.throttled[OP] == 2
    assert [r.status for r in state.requests if r.op_key == OP] == [200, 200, 200, 429, 429]


def test_bucket_refills_at_the_rate(
    http: httpx.Client, state: SandboxState, tokens: Tokens, clock: FakeClock
) -> None:
    state.rate_limit_tolerance = 0.0
    state.set_rate_limit(OP, rate=2.0, burst=1)
    assert get_listing(http, tokens.seller).status_code == 200
    clock.advance(0.49)
    assert get_listing(http, tokens.seller).status_code == 429
    clock.advance(0.01)
    assert get_listing(http, tokens.seller).status_code == 200


def test_buckets_are_per_selling_partner(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    state.set_rate_limit(OP, rate=1.0, burst=1)
    assert get_listing(http, tokens.seller).status_code == 200
    assert get_listing(http, tokens.seller).status_code == 429
    assert get_listing(http, tokens.vendor).status_code == 200


def test_grantless_calls_share_a_bucket(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    state.set_rate_limit("notifications.getDestinations", rate=1.0, burst=2)
    statuses = [
        http.get("/notifications/v1/destinations", headers=Tokens.auth(tokens.grantless)).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_model_usage_plan_by_default(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    # getListingsItem: 5 requests per second, burst 10.
    statuses = [get_listing(http, tokens.seller).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    assert get_listing(http, tokens.seller).headers["x-amzn-RateLimit-Limit"] == "5.0"


def test_rate_limits_can_be_switched_off(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    state.set_rate_limit(OP, rate=1.0, burst=1)
    state.rate_limits_enabled = False
    assert {get_listing(http, tokens.seller).status_code for _ in range(5)} == {200}
    assert state.throttled[OP] == 0


def test_new_plan_restarts_with_a_full_bucket(
    http: httpx.Client, state: SandboxState, tokens: Tokens
) -> None:
    state.set_rate_limit(OP, rate=1.0, burst=1)
    get_listing(http, tokens.seller)
    assert get_listing(http, tokens.seller).status_code == 429
    state.set_rate_limit(OP, rate=1.0, burst=2)
    assert get_listing(http, tokens.seller).status_code == 200


def test_refused_token_spends_nothing(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    state.set_rate_limit(OP, rate=1.0, burst=1)
    assert http.get(LISTING, params=PARAMS).status_code == 403
    assert get_listing(http, tokens.seller).status_code == 200


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (1.0, 0)])
def test_invalid_plan(state: SandboxState, rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="rate"):
        state.set_rate_limit(OP, rate=rate, burst=burst)


def test_token_bucket_caps_at_burst() -> None:
    bucket = TokenBucket(rate=10.0, burst=2, tokens=2.0, updated=0.0)
    assert bucket.take(100.0)
    assert bucket.take(100.0)
    assert not bucket.take(100.0)


def test_jitter_tolerance_borrows_without_raising_the_rate(
    http: httpx.Client, state: SandboxState, tokens: Tokens, clock: FakeClock
) -> None:
    """At 10/s, burst 1, 50 ms tolerance: request k passes from (k/10 - 0.05) s on, never earlier."""
    state.rate_limit_tolerance = 0.05
    state.set_rate_limit(OP, rate=10.0, burst=1)
    assert get_listing(http, tokens.seller).status_code == 200
    clock.advance(0.051)  # due at 0.1: 49 ms early is forgiven, the bucket goes into debt
    assert get_listing(http, tokens.seller).status_code == 200
    clock.advance(0.097)  # due at 0.2, so 52 ms early: the debt makes it too early
    assert get_listing(http, tokens.seller).status_code == 429
    clock.advance(0.004)
    assert get_listing(http, tokens.seller).status_code == 200


def test_bucket_starts_full_and_throttles_beyond_burst_with_default_tolerance(
    http: httpx.Client, state: SandboxState, tokens: Tokens
) -> None:
    state.set_rate_limit(OP, rate=0.5, burst=2)  # 0.05 s of jitter is 0.025 tokens: no extra request
    assert [get_listing(http, tokens.seller).status_code for _ in range(3)] == [200, 200, 429]
