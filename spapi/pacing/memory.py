"""The budget in this process's memory: for library use, unit tests and a single process.

Several processes each with a MemoryBudget each believe they have Amazon's whole bucket; a fleet shares
store.rate_budget.DatabaseBudget instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from spapi.pacing.budget import BudgetState, Reservation, Slot, available, rescaled, take_slot


@dataclass
class _Key:
    tat: float
    interval: float
    tolerance: float
    rate: float
    burst: int
    updated: float  # when tat last moved


class MemoryBudget:
    """A BudgetStore in a dict. Each step runs without awaiting, so it is atomic within the event loop."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._keys: dict[str, _Key] = {}

    def _key(self, reservation: Reservation, now: float) -> _Key:
        found = self._keys.get(reservation.key)
        if found is None:
            found = _Key(
                now, reservation.interval, reservation.tolerance, reservation.rate, reservation.burst, now
            )
            self._keys[reservation.key] = found
        return found

    async def reserve(self, reservation: Reservation, max_wait: float | None) -> Slot:
        now = self._clock()
        key = self._key(reservation, now)
        key.tat, slot = take_slot(key.tat, now, key.interval, key.tolerance, max_wait)
        if slot.reserved:
            key.updated = now
        return slot

    async def learn_rate(self, reservation: Reservation) -> None:
        now = self._clock()
        key = self._key(reservation, now)
        if key.rate == reservation.rate:
            return
        key.tat = rescaled(key.tat, key.updated, key.interval, reservation.interval)
        key.interval, key.tolerance = reservation.interval, reservation.tolerance
        key.rate, key.burst = reservation.rate, reservation.burst

    async def throttled(self, key: str) -> None:
        found = self._keys.get(key)
        if found is not None:
            now = self._clock()
            found.tat, found.updated = max(found.tat, now + found.interval + found.tolerance), now

    async def state(self, key: str) -> BudgetState | None:
        found = self._keys.get(key)
        if found is None:
            return None
        now = self._clock()
        return BudgetState(
            found.rate,
            found.burst,
            found.interval,
            found.tolerance,
            available(found.tat, now, found.interval, found.tolerance),
        )
