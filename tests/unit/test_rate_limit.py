"""Token bucket arithmetic, on a virtual clock."""

from __future__ import annotations

import asyncio

import pytest

from spapi.errors import RateLimitWaitExceeded
from spapi.model_catalog import UsagePlan
from spapi.rate_limit import DEFAULT_HEADROOM, EXACT, Headroom, RateLimiter, TokenBucket


class VirtualClock:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_burst_is_free_then_paced_at_rate() -> None:
    clock = VirtualClock()
    bucket = TokenBucket(UsagePlan(rate=2.0, burst=3), clock=clock, sleep=clock.sleep)
    waits = [await bucket.acquire() for _ in range(7)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.5, 0.5, 0.5, 0.5])
    assert clock.now == pytest.approx(1002.0)


async def test_refill_caps_at_burst() -> None:
    clock = VirtualClock()
    bucket = TokenBucket(UsagePlan(rate=1.0, burst=2), clock=clock, sleep=clock.sleep)
    await bucket.acquire()
    await bucket.acquire()
    clock.now += 100
    assert bucket.available() == 2.0


async def test_concurrent_callers_never_exceed_the_plan() -> None:
    clock = VirtualClock()
    bucket = TokenBucket(UsagePlan(rate=5.0, burst=10), clock=clock, sleep=clock.sleep)
    granted: list[float] = []

    async def caller() -> None:
        await bucket.acquire()
        granted.append(clock.now)

    await asyncio.gather(*(caller() for _ in range(60)))
    # In any window [t, t+w] at most burst + rate*w requests may start.
    granted.sort()
    for i, start in enumerate(granted):
        for j in range(i, len(granted)):
            window = granted[j] - start
            assert j - i + 1 <= 10 + 5.0 * window + 1e-6


async def test_drain_after_429_forces_a_wait() -> None:
    clock = VirtualClock()
    bucket = TokenBucket(UsagePlan(rate=4.0, burst=10), clock=clock, sleep=clock.sleep)
    bucket.drain()
    assert await bucket.acquire() == pytest.approx(0.25)


async def test_rate_header_lowers_the_rate() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(
        plans={"op": UsagePlan(rate=10.0, burst=1)}, headroom=EXACT, clock=clock, sleep=clock.sleep
    )
    await limiter.acquire("A1", "op")
    limiter.observe("A1", "op", status=200, rate_limit=0.5)
    assert limiter.bucket("A1", "op").rate == 0.5
    assert await limiter.acquire("A1", "op") == pytest.approx(2.0)


async def test_buckets_are_per_partner_and_operation() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(
        plans={"op": UsagePlan(rate=1.0, burst=1)}, headroom=EXACT, clock=clock, sleep=clock.sleep
    )
    assert await limiter.acquire("A1", "op") == 0.0
    assert await limiter.acquire("A2", "op") == 0.0
    assert await limiter.acquire("A1", "other") == 0.0  # unknown op: fallback plan, its own bucket
    assert await limiter.acquire("A1", "op") == pytest.approx(1.0)


async def test_wait_beyond_max_is_a_typed_error_and_sends_nothing() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(
        plans={"op": UsagePlan(rate=0.1, burst=1)},
        headroom=EXACT,
        max_wait=5.0,
        clock=clock,
        sleep=clock.sleep,
    )
    await limiter.acquire("A1", "op")
    with pytest.raises(RateLimitWaitExceeded) as caught:
        await limiter.acquire("A1", "op")
    assert caught.value.wait == pytest.approx(10.0)
    assert "A1" in str(caught.value)
    assert clock.sleeps == []  # refused up front, no token taken
    assert limiter.bucket("A1", "op").available() == pytest.approx(0.0)


def test_invalid_plan_is_rejected() -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        TokenBucket(UsagePlan(rate=0.0, burst=1))


def test_headroom_keeps_jitter_worth_of_the_burst_and_at_least_one_token() -> None:
    jitter = Headroom(rate_margin=0.05, jitter=0.1)
    assert jitter.reserve(UsagePlan(rate=50.0, burst=10)) == 5  # 0.1 s at 50/s
    assert jitter.reserve(UsagePlan(rate=0.5, burst=30)) == 1  # never less than one token...
    assert jitter.reserve(UsagePlan(rate=5.0, burst=1)) == 0  # ...unless the burst has only one
    assert EXACT.reserve(UsagePlan(rate=50.0, burst=10)) == 0


async def test_default_headroom_paces_below_the_plan() -> None:
    clock = VirtualClock()
    bucket = TokenBucket(
        UsagePlan(rate=2.0, burst=3), headroom=DEFAULT_HEADROOM, clock=clock, sleep=clock.sleep
    )
    waits = [await bucket.acquire() for _ in range(4)]
    assert waits[:2] == [0.0, 0.0]  # one of the three burst tokens is held back
    assert waits[2:] == pytest.approx([0.5 / 0.95, 0.5 / 0.95])
    assert bucket.rate == 2.0  # Amazon's rate is reported as is
