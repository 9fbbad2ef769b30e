"""The budget behind the pacing: GCRA (generic cell rate algorithm), a "theoretical arrival time" per key.

A key's state is its TAT, the time at which its bucket is full again if nobody calls before. A caller
arriving at ``now`` gets the slot ``max(now, TAT - tolerance)``
and moves TAT to ``max(TAT, now) + interval``: one step, no polling, and the same arithmetic whether the
state lives in memory or in a database row that every process shares (store.rate_budget). What Amazon tells
us changes the state for every caller of the key: a stated rate rescales the key's debt to the new interval,
counted from the key's last reservation (the time since then refilled Amazon's bucket at the rate it states,
not at the one we assumed), and a 429 means Amazon's bucket is empty, so no slot is granted before
``now + interval``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Reservation:
    """A request for a slot of ``key``, with the pace to create the key with when it is new: one request
    every ``interval`` seconds, ``tolerance`` seconds of burst (see Headroom.pace); ``rate`` and ``burst``
    are Amazon's figures, kept for display."""

    key: str
    interval: float
    tolerance: float
    rate: float
    burst: int


@dataclass(frozen=True)
class Slot:
    """The answer to a reservation: seconds until the slot (0: now), whether it was reserved (it is not when
    it lies further away than the caller's maximum wait), and the key's pace it was granted at."""

    wait: float
    reserved: bool
    interval: float
    tolerance: float


@dataclass(frozen=True)
class BudgetState:
    """A key as stored: Amazon's rate and burst, the pace it is kept at, and the requests that could be sent
    right now."""

    rate: float
    burst: int
    interval: float
    tolerance: float
    available: float


class BudgetStore(Protocol):
    """Where the budgets live. Every method is one atomic step for the key, whoever else calls it."""

    async def reserve(self, reservation: Reservation, max_wait: float | None) -> Slot:
        """Take the key's next slot, unless it is more than ``max_wait`` seconds away."""
        ...

    async def learn_rate(self, reservation: Reservation) -> None:
        """Amazon stated the key's rate (``x-amzn-RateLimit-Limit``): pace the key as ``reservation`` says."""
        ...

    async def throttled(self, key: str) -> None:
        """Amazon answered 429 for the key: its bucket is empty, for every caller."""
        ...

    async def state(self, key: str) -> BudgetState | None:
        """The key as stored now, or None when it was never used."""
        ...


def take_slot(
    tat: float, now: float, interval: float, tolerance: float, max_wait: float | None
) -> tuple[float, Slot]:
    """GCRA's step for one caller: the new TAT and the caller's slot (TAT unchanged when not reserved)."""
    start = max(tat, now)
    wait = max(0.0, start - tolerance - now)
    if max_wait is not None and wait > max_wait:
        return tat, Slot(wait, reserved=False, interval=interval, tolerance=tolerance)
    return start + interval, Slot(wait, reserved=True, interval=interval, tolerance=tolerance)


def rescaled(tat: float, updated: float, old_interval: float, new_interval: float) -> float:
    """The TAT after a rate change: the debt since the key's last reservation (``updated``) at the new
    interval."""
    if tat <= updated or old_interval <= 0:
        return tat
    return updated + (tat - updated) * new_interval / old_interval


def available(tat: float, now: float, interval: float, tolerance: float) -> float:
    """Requests that could be sent at ``now`` without waiting."""
    capacity = tolerance / interval + 1
    return max(0.0, min(capacity, (now + tolerance + interval - tat) / interval))
