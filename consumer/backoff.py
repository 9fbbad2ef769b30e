"""How long a message that failed transiently stays invisible before SQS hands it out again."""

from __future__ import annotations

import random

MAX_VISIBILITY = 43_200  # SQS's limit: 12 hours


def retry_visibility(
    receive_count: int, base: float, maximum: float, rng: random.Random | None = None
) -> int:
    """Exponential in the receive count, with equal jitter, so that a burst of failures does not come back
    as a burst: ``d/2 + U(0, d/2)`` where ``d = min(maximum, base * 2**(receive_count - 1))``."""
    exponent = max(0, receive_count - 1)
    ceiling = min(maximum, base * 2.0 ** min(exponent, 30), MAX_VISIBILITY)
    draw = (rng or random).uniform(0.5, 1.0)
    return max(1, round(ceiling * draw))
