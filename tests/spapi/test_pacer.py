"""The pacer's arithmetic (GCRA over a MemoryBudget), on the fake clock: it only moves when someone sleeps."""

from __future__ import annotations

import asyncio
import time

import pytest

from spapi.errors import RateLimitWaitExceeded
from spapi.model_catalog import UsagePlan
from spapi.pacing import DEFAULT_HEADROOM, EXACT, CallKey, Headroom, MemoryBudget, Pacer, Reservation
from tests.fixtures.clock import FakeClock


def pacer(
    clock: FakeClock, plan: UsagePlan, *, headroom: Headroom = EXACT, max_wait: float | None = 60.0
) -> Pacer:
    return Pacer(
        MemoryBudget(clock),
        plans={"op": plan},
        headroom=headroom,
        max_wait=max_wait,
        clock=clock,
        sleep=clock.sleep,
    )


def call(partner: str = "A1", operation: str = "op") -> CallKey:
    return CallKey(partner, operation, "na", "app")


async def test_burst_is_free_then_paced_at_rate() -> None:
    clock = FakeClock()
    limiter = pacer(clock, UsagePlan(rate=2.0, burst=3))
    waits = [await limiter.acquire(call()) for _ in range(7)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.5, 0.5, 0.5, 0.5])
    assert clock.now == pytest.approx(1002.0)


async def test_refill_caps_at_burst() -> None:
    clock = FakeClock()
    limiter = pacer(clock, UsagePlan(rate=1.0, burst=2))
    await limiter.acquire(call())
    await limiter.acquire(call())
    clock.now += 100
    state = await limiter.state(call())
    assert state is not None
    assert state.available == 2.0


async def test_concurrent_callers_never_exceed_the_plan() -> None:
    """Callers that wait at once, in real time (a fake clock that moves on every sleep cannot be shared)."""
    limiter = Pacer(MemoryBudget(), plans={"op": UsagePlan(rate=50.0, burst=10)}, headroom=EXACT)
    granted: list[float] = []

    async def caller() -> None:
        await limiter.acquire(call())
        granted.append(time.monotonic())

    await asyncio.gather(*(caller() for _ in range(40)))
    # In any window [t, t+w] at most burst + rate*w requests may start; a sleep may overrun by a few ms.
    granted.sort()
    for i, start in enumerate(granted):
        for j in range(i, len(granted)):
            window = granted[j] - start
            assert j - i + 1 <= 10 + 50.0 * (window + 0.01)
    assert granted[-1] - granted[0] == pytest.approx(30 / 50.0, abs=0.1)


async def test_a_429_empties_the_bucket_and_forces_a_wait() -> None:
    clock = FakeClock()
    limiter = pacer(clock, UsagePlan(rate=4.0, burst=10))
    await limiter.acquire(call())
    await limiter.observe(call(), status=429, rate_limit=None)
    assert await limiter.acquire(call()) == pytest.approx(0.25)


async def test_rate_header_lowers_the_rate() -> None:
    clock = FakeClock()
    limiter = pacer(clock, UsagePlan(rate=10.0, burst=1))
    await limiter.acquire(call())
    await limiter.observe(call(), status=200, rate_limit=0.5)
    state = await limiter.state(call())
    assert state is not None
    assert state.rate == 0.5
    assert await limiter.acquire(call()) == pytest.approx(2.0)


async def test_a_learned_rate_moves_the_callers_already_waiting() -> None:
    """Slots are reserved at the pace of the moment: a higher rate stated meanwhile brings them forward."""
    limiter = Pacer(MemoryBudget(), plans={"op": UsagePlan(rate=2.0, burst=1)}, headroom=EXACT)
    await limiter.acquire(call())
    waiting = [asyncio.create_task(limiter.acquire(call())) for _ in range(10)]
    await asyncio.sleep(0.01)  # every caller has reserved its slot: 0.5 s, 1 s, ... 5 s away at 2/s
    await limiter.observe(call(), status=200, rate_limit=50.0)
    started = time.monotonic()
    waits = await asyncio.gather(*waiting)
    # At 50/s the queue drains in about 0.2 s, not in five.
    assert time.monotonic() - started < 1.0
    assert max(waits) < 1.0


async def test_a_rate_learned_by_another_process_reaches_the_waiting_callers() -> None:
    budget = MemoryBudget()
    plans = {"op": UsagePlan(rate=2.0, burst=1)}
    here = Pacer(budget, plans=plans, headroom=EXACT, refresh=0.05)
    there = Pacer(budget, plans=plans, headroom=EXACT)
    await here.acquire(call())
    waiting = [asyncio.create_task(here.acquire(call())) for _ in range(10)]  # 0.5 s ... 5 s away
    await asyncio.sleep(0.01)
    await there.observe(call(), status=200, rate_limit=50.0)  # another process hears 50/s
    started = time.monotonic()
    await asyncio.gather(*waiting)
    # The waiting callers looked again within their refresh interval and went at the new pace.
    assert time.monotonic() - started < 1.0


async def test_budgets_are_per_partner_and_operation() -> None:
    clock = FakeClock()
    limiter = pacer(clock, UsagePlan(rate=1.0, burst=1))
    assert await limiter.acquire(call("A1")) == 0.0
    assert await limiter.acquire(call("A2")) == 0.0
    assert await limiter.acquire(call("A1", "other")) == 0.0  # unknown op: fallback plan, its own budget
    assert await limiter.acquire(call("A1")) == pytest.approx(1.0)


async def test_wait_beyond_max_is_a_typed_error_and_sends_nothing() -> None:
    clock = FakeClock()
    limiter = pacer(clock, UsagePlan(rate=0.1, burst=1), max_wait=5.0)
    await limiter.acquire(call())
    with pytest.raises(RateLimitWaitExceeded) as caught:
        await limiter.acquire(call())
    assert caught.value.wait == pytest.approx(10.0)
    assert "A1" in str(caught.value)
    assert clock.sleeps == []  # refused up front, no slot taken
    state = await limiter.state(call())
    assert state is not None
    assert state.available == pytest.approx(0.0)


def test_invalid_plan_is_rejected() -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        EXACT.pace(UsagePlan(rate=0.0, burst=1))


def test_headroom_keeps_jitter_worth_of_the_burst_and_at_least_one_token() -> None:
    jitter = Headroom(rate_margin=0.05, jitter=0.1)
    assert jitter.reserve(UsagePlan(rate=50.0, burst=10)) == 5  # 0.1 s at 50/s
    assert jitter.reserve(UsagePlan(rate=0.5, burst=30)) == 1  # never less than one token...
    assert jitter.reserve(UsagePlan(rate=5.0, burst=1)) == 0  # ...unless the burst has only one
    assert EXACT.reserve(UsagePlan(rate=50.0, burst=10)) == 0


async def test_default_headroom_paces_below_the_plan() -> None:
    clock = FakeClock()
    limiter = pacer(clock, UsagePlan(rate=2.0, burst=3), headroom=DEFAULT_HEADROOM)
    waits = [await limiter.acquire(call()) for _ in range(4)]
    assert waits[:2] == [0.0, 0.0]  # one of the three burst slots is held back
    assert waits[2:] == pytest.approx([0.5 / 0.95, 0.5 / 0.95])
    state = await limiter.state(call())
    assert state is not None
    assert state.rate == 2.0  # Amazon's rate is reported as is


async def test_the_application_key_is_spent_after_the_partners_and_shared_by_all() -> None:
    clock = FakeClock()
    limiter = Pacer(
        MemoryBudget(clock),
        plans={"op": UsagePlan(rate=1.0, burst=1)},
        application_plans={"op": UsagePlan(rate=2.0, burst=1)},
        headroom=EXACT,
        clock=clock,
        sleep=clock.sleep,
    )
    waits = [await limiter.acquire(call(partner)) for partner in ("A1", "A2", "A3")]
    assert waits == pytest.approx([0.0, 0.5, 0.5])  # partners are free; the application paces them


async def test_a_stated_rate_the_budget_already_has_costs_no_write() -> None:
    """Amazon states the rate on every answer; the shared budget is written only when it is news."""
    clock = FakeClock()
    learned: list[float] = []

    class Counting(MemoryBudget):
        async def learn_rate(self, reservation: Reservation) -> None:
            learned.append(reservation.rate)
            await super().learn_rate(reservation)

    p = Pacer(
        Counting(clock),
        plans={"op": UsagePlan(rate=5.0, burst=10)},
        headroom=EXACT,
        clock=clock,
        sleep=clock.sleep,
    )
    for _ in range(3):
        await p.acquire(call())
        await p.observe(call(), status=200, rate_limit=5.0)
    assert learned == []  # the plan's own rate: nothing to learn
    for _ in range(3):
        await p.acquire(call())
        await p.observe(call(), status=200, rate_limit=2.0)
    assert learned == [2.0]  # news once; after it, the key's slots come at the learned pace
    state = await p.state(call())
    assert state is not None
    assert state.rate == 2.0
