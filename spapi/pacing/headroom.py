"""How far inside Amazon's plan we stay, so that network jitter never turns into a 429."""

from __future__ import annotations

import math
from dataclasses import dataclass

from spapi.model_catalog import UsagePlan


@dataclass(frozen=True)
class Headroom:
    """Pace ``rate_margin`` below Amazon's rate, and keep ``jitter`` seconds' worth of the burst unspent.

    Requests spaced exactly 1/rate apart on our side can arrive closer together at Amazon: one waited for
    a new connection or was delayed on the way, the next was not. Keeping ``jitter`` seconds' worth of
    tokens (at least one) of the burst unspent, when the burst has more than one, absorbs that much
    arrival jitter; pacing ``rate_margin`` below the rate absorbs the rest over time.
    """

    rate_margin: float = 0.0
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.rate_margin < 1 or self.jitter < 0:
            raise ValueError(f"headroom needs 0 <= rate_margin < 1 and jitter >= 0, got {self}")

    def reserve(self, plan: UsagePlan) -> int:
        """Tokens of the burst held back."""
        if self.jitter <= 0:
            return 0
        return min(plan.burst - 1, max(1, math.ceil(self.jitter * plan.rate)))

    def pace(self, plan: UsagePlan) -> tuple[float, float]:
        """GCRA's emission interval and tolerance (seconds) for a plan: one request every ``interval``,
        and a burst of up to ``tolerance / interval + 1`` requests at once."""
        if plan.rate <= 0 or plan.burst < 1:
            raise ValueError(f"a usage plan needs rate > 0 and burst >= 1, got {plan}")
        interval = 1.0 / (plan.rate * (1 - self.rate_margin))
        capacity = plan.burst - self.reserve(plan)
        return interval, (capacity - 1) * interval


EXACT = Headroom()
DEFAULT_HEADROOM = Headroom(rate_margin=0.05, jitter=0.1)
