"""A partner with a deep backlog shares the budget with the others: it neither crowds the budget store with
reservations nor queues ahead of them in the application-wide bucket."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from spapi.model_catalog import UsagePlan
from spapi.pacing import EXACT, CallKey, MemoryBudget, Pacer, Reservation
from spapi.pacing.budget import Slot
from tests.fixtures.clock import FakeClock


class WatchedBudget(MemoryBudget):
    """A MemoryBudget whose reservations take a moment (as a database round trip does), watched: the most
    reservations of a key in flight at once, and the order in which they started."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.in_flight: Counter[str] = Counter()
        self.most: Counter[str] = Counter()
        self.started: list[str] = []

    async def reserve(self, reservation: Reservation, max_wait: float | None) -> Slot:
        self.started.append(reservation.key)
        self.in_flight[reservation.key] += 1
        self.most[reservation.key] = max(self.most[reservation.key], self.in_flight[reservation.key])
        try:
            await asyncio.sleep(0)
            return await super().reserve(reservation, max_wait)
        finally:
            self.in_flight[reservation.key] -= 1


async def test_a_deep_backlog_reserves_one_slot_at_a_time() -> None:
    clock = FakeClock()
    budget = WatchedBudget(clock)
    pacer = Pacer(
        budget,
        plans={"op": UsagePlan(rate=1.0, burst=1)},
        headroom=EXACT,
        max_wait=None,
        clock=clock,
        sleep=clock.sleep,
    )
    heavy, light = CallKey("HEAVY", "op", "na", "app"), CallKey("LIGHT", "op", "na", "app")
    await asyncio.gather(*(pacer.acquire(heavy) for _ in range(20)), pacer.acquire(light))
    # One round trip per key at a time: the backlog holds one database connection, not the pool, and the
    # other partner's reservation does not queue behind the twenty.
    assert budget.most[heavy.budget] == 1
    assert budget.started.index(light.budget) <= 1
    assert budget.started.count(heavy.budget) == 20


async def test_a_partner_with_a_backlog_does_not_push_the_others_back_in_the_application_bucket() -> None:
    """In real time: the heavy partner's own pace (600/s) is above the application's (100/s)."""
    pacer = Pacer(
        MemoryBudget(),
        plans={"op": UsagePlan(rate=600.0, burst=1)},
        application_plans={"op": UsagePlan(rate=100.0, burst=1)},
        headroom=EXACT,
    )
    heavy, light = CallKey("HEAVY", "op", "na", "app"), CallKey("LIGHT", "op", "na", "app")
    granted = 0
    light_waited: list[float] = []
    arrived = asyncio.Event()

    async def heavy_call() -> None:
        nonlocal granted
        await pacer.acquire(heavy)
        granted += 1
        if granted == 10:
            arrived.set()

    async def light_call() -> None:
        await arrived.wait()  # the light partner asks once the heavy one has been at it for a while
        started = time.monotonic()
        await pacer.acquire(light)
        light_waited.append(time.monotonic() - started)

    await asyncio.gather(*(heavy_call() for _ in range(80)), light_call())
    # Had the heavy partner reserved the application's slots at its own pace, some seventy would stand ahead
    # of the light call (0.7 s); taking them in turns, one at most does (10 ms, and the event loop's delays).
    assert light_waited[0] < 0.3
    assert granted == 80


@pytest.mark.parametrize("partners", [1, 3])
async def test_taking_turns_costs_no_throughput(partners: int) -> None:
    """Partners with backlogs together still get the application's whole rate."""
    pacer = Pacer(
        MemoryBudget(),
        plans={"op": UsagePlan(rate=1000.0, burst=1)},
        application_plans={"op": UsagePlan(rate=100.0, burst=5)},
        headroom=EXACT,
    )
    calls = [CallKey(f"A{i % partners}", "op", "na", "app") for i in range(45)]
    started = time.monotonic()
    await asyncio.gather(*(pacer.acquire(each) for each in calls))
    # The burst (5) at once, then 40 at 100/s: 0.4 s at best.
    assert time.monotonic() - started == pytest.approx(0.4, abs=0.1)
