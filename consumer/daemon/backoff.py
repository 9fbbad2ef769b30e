"""The daemon's one backoff: exponential with equal jitter, so that failures that came together do not
come back together.

It decides how long a message that failed transiently stays invisible (by its receive count) and how long a
poller pauses after SQS failed it (by the failures in a row).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

MAX_VISIBILITY = 43_200  # SQS's limit: 12 hours


@dataclass(frozen=True)
class Backoff:
    """Step ``n`` (0-based) waits ``d/2 + U(0, d/2)`` seconds, where ``d = min(maximum, base * 2**n)``."""

    base: float
    maximum: float

    def delay(self, step: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.maximum, self.base * 2.0 ** min(max(0, step), 30))
        return ceiling * (rng or random).uniform(0.5, 1.0)


def retry_visibility(
    receive_count: int, base: float, maximum: float, rng: random.Random | None = None
) -> int:
    """Seconds a message stays invisible after a transient failure on its ``receive_count``-th receive."""
    seconds = Backoff(base, min(maximum, MAX_VISIBILITY)).delay(receive_count - 1, rng)
    return max(1, min(MAX_VISIBILITY, round(seconds)))
