"""Amazon's throttling: one token bucket per (selling partner or grantless, operation), starting full.

Not thread-safe on its own: SandboxState calls it under its lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from spapi.model_catalog import OperationSpec, UsagePlan

GRANTLESS_BUCKET = "grantless"


@dataclass
class TokenBucket:
    rate: float
    burst: int
    tokens: float
    updated: float

    def take(self, now: float, tolerance: float = 0.0) -> bool:
        """Spend a token; ``tolerance`` seconds of refill may be borrowed (the balance goes below zero).

        Borrowing absorbs network jitter (a request paced correctly by its client can reach the server a few
        milliseconds "early" after its predecessor was delayed) without raising the sustained rate: what is
        borrowed is paid back before the next request passes.
        """
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.burst), self.tokens + elapsed * self.rate)
        self.updated = now
        if self.tokens >= 1.0 - tolerance * self.rate:
            self.tokens -= 1.0
            return True
        return False


class RateLimits:
    def __init__(self) -> None:
        self._overrides: dict[str, UsagePlan] = {}
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def plan(self, spec: OperationSpec) -> UsagePlan | None:
        """The plan in force for an operation: a test's override, else the model's Usage Plan table."""
        return self._overrides.get(spec.key, spec.usage_plan)

    def configure(self, op_key: str, rate: float, burst: int) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be > 0 and burst >= 1, got rate={rate} burst={burst}")
        self._overrides[op_key] = UsagePlan(rate=float(rate), burst=int(burst))
        # A new plan starts with full buckets, as a raised limit does at Amazon.
        for key in [k for k in self._buckets if k[1] == op_key]:
            del self._buckets[key]

    def take(self, partner: str, spec: OperationSpec, now: float, tolerance: float = 0.0) -> bool:
        """Spend one token for ``partner`` on ``spec``; False means the request is throttled."""
        plan = self.plan(spec)
        if plan is None:
            return True
        key = (partner, spec.key)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(plan.rate, plan.burst, float(plan.burst), now)
            self._buckets[key] = bucket
        return bucket.take(now, tolerance)

    def reset(self) -> None:
        self._buckets.clear()
