"""Client-side token buckets that keep every call inside Amazon's usage plans.

Amazon meters each (selling partner, application, operation) with a token bucket: ``burst`` tokens, refilled
at ``rate`` per second. We mirror that bucket locally and wait for a token before sending, so our own pacing
never causes a 429. The defaults come from the models' Usage Plan tables (spapi/usage_plans.py); Amazon's
``x-amzn-RateLimit-Limit`` response header overrides the rate, and a 429 empties the bucket.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from spapi.errors import RateLimitWaitExceeded
from spapi.model_catalog import UsagePlan
from spapi.usage_plans import USAGE_PLANS

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# For an operation missing from the models: one request at a time, one per second.
FALLBACK_PLAN = UsagePlan(rate=1.0, burst=1)
# Refill arithmetic in floats can leave a bucket a hair short of a whole token; sleeping for that hair
# would not move a float clock forward, so such a bucket counts as full.
_EPSILON = 1e-9


@dataclass(frozen=True)
class Headroom:
    """How far inside Amazon's plan we stay, so that network jitter never turns into a 429.

    Requests spaced exactly 1/rate apart on our side can arrive closer together at Amazon: one waited for
    a new connection or was delayed on the way, the next was not. Keeping ``jitter`` seconds' worth of
    tokens (at least one) of the burst unspent, when the burst has more than one, absorbs that much
    arrival jitter; pacing ``rate_margin`` below the rate absorbs the rest over time.
    """

    rate_margin: float = 0.0
    jitter: float = 0.0

    def reserve(self, plan: UsagePlan) -> int:
        if self.jitter <= 0:
            return 0
        return min(plan.burst - 1, max(1, math.ceil(self.jitter * plan.rate)))


EXACT = Headroom()
DEFAULT_HEADROOM = Headroom(rate_margin=0.05, jitter=0.1)


class TokenBucket:
    """One bucket. Waiters are served in arrival order (asyncio.Lock is FIFO)."""

    def __init__(
        self,
        plan: UsagePlan,
        *,
        headroom: Headroom = EXACT,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if plan.rate <= 0 or plan.burst < 1:
            raise ValueError(f"a usage plan needs rate > 0 and burst >= 1, got {plan}")
        if not 0 <= headroom.rate_margin < 1 or headroom.jitter < 0:
            raise ValueError(f"headroom needs 0 <= rate_margin < 1 and jitter >= 0, got {headroom}")
        self._headroom = headroom
        self._rate = plan.rate
        self._pace = plan.rate * (1 - headroom.rate_margin)
        self._burst = plan.burst
        self._capacity = float(plan.burst - headroom.reserve(plan))
        self._clock = clock
        self._sleep = sleep
        self._tokens = self._capacity
        self._updated = clock()
        self._lock = asyncio.Lock()
        self._waiting = 0

    @property
    def rate(self) -> float:
        """Amazon's rate for this bucket (we pace a little below it, see Headroom)."""
        return self._rate

    @property
    def burst(self) -> int:
        return self._burst

    def available(self) -> float:
        self._refill()
        return self._tokens

    def _refill(self) -> None:
        now = self._clock()
        elapsed = now - self._updated
        if elapsed > 0:
            self._tokens = min(self._capacity, self._tokens + elapsed * self._pace)
        self._updated = now

    def expected_wait(self) -> float:
        """Seconds a caller arriving now would wait, counting those already queued."""
        self._refill()
        deficit = self._waiting + 1 - self._tokens
        return max(0.0, deficit / self._pace)

    async def acquire(self, max_wait: float | None = None) -> float:
        """Take one token, waiting for it; returns the seconds waited.

        Raises _TooLong (caught by RateLimiter) when the wait would exceed max_wait: checked up front from
        the queue ahead, and again while waiting, since a lowered rate or a drain can lengthen it.
        """
        expected = self.expected_wait()
        if max_wait is not None and expected > max_wait:
            raise _TooLong(expected)
        start = self._clock()
        self._waiting += 1
        try:
            async with self._lock:
                while True:
                    self._refill()
                    if self._tokens >= 1.0 - _EPSILON:
                        self._tokens -= 1.0
                        return self._clock() - start
                    wait = (1.0 - self._tokens) / self._pace
                    waited = self._clock() - start
                    if max_wait is not None and waited + wait > max_wait:
                        raise _TooLong(waited + wait)
                    await self._sleep(wait)
        finally:
            self._waiting -= 1

    def drain(self) -> None:
        """Amazon throttled us: its bucket is empty, so ours must be too."""
        self._refill()
        self._tokens = min(self._tokens, 0.0)

    def set_rate(self, rate: float) -> None:
        if rate <= 0 or rate == self._rate:
            return
        # No refill first: Amazon's header states the rate its bucket has been refilling at, so the time
        # since our last refill counts at the new rate. Counting it at the old, higher rate would hand out
        # tokens Amazon never granted, and the next request would be throttled.
        self._rate = rate
        self._pace = rate * (1 - self._headroom.rate_margin)


class _TooLong(Exception):
    def __init__(self, wait: float) -> None:
        self.wait = wait


class RateLimiter:
    """Token buckets by (selling partner, operation key)."""

    def __init__(
        self,
        *,
        plans: Mapping[str, UsagePlan] = USAGE_PLANS,
        overrides: Mapping[str, UsagePlan] | None = None,
        headroom: Headroom = DEFAULT_HEADROOM,
        max_wait: float | None = 60.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._plans = {**plans, **(overrides or {})}
        self._headroom = headroom
        self._max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def plan(self, operation: str) -> UsagePlan:
        return self._plans.get(operation, FALLBACK_PLAN)

    def bucket(self, partner: str, operation: str) -> TokenBucket:
        key = (partner, operation)
        found = self._buckets.get(key)
        if found is None:
            found = TokenBucket(
                self.plan(operation), headroom=self._headroom, clock=self._clock, sleep=self._sleep
            )
            self._buckets[key] = found
        return found

    async def acquire(self, partner: str, operation: str) -> float:
        """Wait for a request slot; RateLimitWaitExceeded when that would take longer than max_wait."""
        try:
            return await self.bucket(partner, operation).acquire(self._max_wait)
        except _TooLong as exc:
            raise RateLimitWaitExceeded(
                operation, None if partner == GRANTLESS_PARTNER else partner, exc.wait, self._max_wait or 0.0
            ) from None

    def observe(self, partner: str, operation: str, *, status: int, rate_limit: float | None) -> None:
        """Feed back what Amazon said: its current rate for us, and whether it throttled us."""
        bucket = self.bucket(partner, operation)
        if rate_limit is not None:
            bucket.set_rate(rate_limit)
        if status == 429:
            bucket.drain()


GRANTLESS_PARTNER = "grantless"
