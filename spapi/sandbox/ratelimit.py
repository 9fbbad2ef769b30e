"""Amazon's throttling: one token bucket per (selling partner or grantless, operation), starting full, and
for the operations where Amazon documents one, an application-wide bucket as well (a call needs both).

Not thread-safe on its own: SandboxState calls it under its lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from spapi.model_catalog import OperationSpec, UsagePlan
from spapi.pacing.application_plans import APPLICATION_PLANS

GRANTLESS_BUCKET = "grantless"
# The holder of the application-wide buckets (the fake serves one application).
APPLICATION = "*application*"


@dataclass
class TokenBucket:
    """One throttling bucket: ``rate`` tokens per second, up to ``burst``; times on the state clock."""

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
        if self.admits(now, tolerance):
            self.tokens -= 1.0
            return True
        return False

    def admits(self, now: float, tolerance: float = 0.0) -> bool:
        """Whether a request at ``now`` would be admitted (refills, spends nothing)."""
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.burst), self.tokens + elapsed * self.rate)
        self.updated = now
        return self.tokens >= 1.0 - tolerance * self.rate


class RateLimits:
    """The token buckets, and the usage plans tests set in place of the models' (``configure``)."""

    def __init__(self) -> None:
        self._overrides: dict[str, UsagePlan] = {}
        self._application_plans: dict[str, UsagePlan] = dict(APPLICATION_PLANS)
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

    def configure_application(self, op_key: str, rate: float, burst: int) -> None:
        """Set the application-wide plan of an operation; its bucket restarts full."""
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be > 0 and burst >= 1, got rate={rate} burst={burst}")
        self._application_plans[op_key] = UsagePlan(rate=float(rate), burst=int(burst))
        self._buckets.pop((APPLICATION, op_key), None)

    def _bucket(self, holder: str, op_key: str, plan: UsagePlan, now: float) -> TokenBucket:
        bucket = self._buckets.get((holder, op_key))
        if bucket is None:
            bucket = TokenBucket(plan.rate, plan.burst, float(plan.burst), now)
            self._buckets[(holder, op_key)] = bucket
        return bucket

    def take(self, partner: str, spec: OperationSpec, now: float, tolerance: float = 0.0) -> str | None:
        """Spend a token of every bucket the call needs; None when admitted, else which limit throttled
        it (``"account"`` or ``"application"``), and then nothing is spent."""
        buckets = []
        plan = self.plan(spec)
        if plan is not None:
            buckets.append(("account", self._bucket(partner, spec.key, plan, now)))
        application = self._application_plans.get(spec.key)
        if application is not None:
            buckets.append(("application", self._bucket(APPLICATION, spec.key, application, now)))
        for limit, bucket in buckets:
            if not bucket.admits(now, tolerance):
                return limit
        for _, bucket in buckets:
            bucket.tokens -= 1.0
        return None

    def reset(self) -> None:
        self._buckets.clear()
