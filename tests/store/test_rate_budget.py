"""The shared rate budget across OS processes, on PostgreSQL and SQLite: replicas share one bucket per key."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from spapi.model_catalog import UsagePlan
from spapi.pacing import EXACT, CallKey, Pacer
from store.rate_budget import DatabaseBudget
from tests.fixtures.budget_worker import reservation
from tests.fixtures.lockstep import go_on, said, start_workers

WORKER = [sys.executable, "-m", "tests.fixtures.budget_worker"]


def _run_fleet(url: str, key: str, processes: int, calls: int, rate: float, burst: int) -> list[float]:
    command = [*WORKER, url, key, str(calls), str(rate), str(burst), "together"]
    started = start_workers(command for _ in range(processes))
    # All connected before any reserves: a process starting late on a loaded machine would otherwise find the
    # others' slots all past, and begin a new burst after a gap.
    said(started, "ready")
    go_on(started)
    slots: list[float] = []
    for process in started:
        out, _ = process.communicate(timeout=60)
        assert process.returncode == 0
        slots.extend(json.loads(out.strip().splitlines()[-1])["slots"])
    return sorted(slots)


def _most_in_any_window(slots: list[float], rate: float, burst: int, slack: float) -> list[tuple[int, float]]:
    """Windows whose count exceeds rate x width + burst (slack: seconds of clock noise forgiven)."""
    over = []
    for i, start in enumerate(slots):
        for j in range(i, len(slots)):
            width = slots[j] - start
            if j - i + 1 > burst + rate * (width + slack) + 1e-9:
                over.append((j - i + 1, width))
    return over


@pytest.mark.slow
async def test_processes_sharing_a_key_never_exceed_rate_times_time_plus_burst(
    database_url: str, engine: AsyncEngine
) -> None:
    rate, burst, processes, calls = 40.0, 5, 4, 20
    slots = _run_fleet(database_url, f"test|{uuid.uuid4().hex}", processes, calls, rate, burst)
    assert len(slots) == processes * calls
    # Each slot is read off the local clock just after its statement returned: a few ms of noise.
    assert _most_in_any_window(slots, rate, burst, slack=0.02) == []
    # And the budget was used, not wasted: the whole run took about (calls - burst) / rate.
    assert slots[-1] - slots[0] == pytest.approx((processes * calls - burst) / rate, abs=0.25)


@pytest.mark.slow
async def test_a_rate_and_a_429_seen_by_one_process_reach_the_others(
    database_url: str, engine: AsyncEngine
) -> None:
    key = f"test|{uuid.uuid4().hex}"
    learn = [*WORKER, database_url, key, "1", "10", "1", "learn", "0.5"]
    before = time.monotonic()
    learned = subprocess.run(learn, capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(learned.stdout)["rate"] == 0.5
    budget = DatabaseBudget(engine)
    state = await budget.state(key)
    assert state is not None
    assert state.rate == 0.5  # learned in another process
    # That process's call, made after `before`, left the key 2 s in debt at the learned rate: our next slot is
    # 2 s after that call, however long the process took to start and exit (at 10/s it would be 0.1 s away).
    slot = await budget.reserve(reservation(key, 10.0, 1), None)
    assert 2.0 - (time.monotonic() - before) - 0.05 < slot.wait <= 2.0
    other = f"test|{uuid.uuid4().hex}"
    await budget.reserve(reservation(other, 1.0, 10), None)
    throttle = [*WORKER, database_url, other, "0", "1", "10", "throttle"]
    subprocess.run(throttle, capture_output=True, text=True, check=True, timeout=60)
    # Amazon's bucket is empty for everybody now: not one free slot of the nine the burst still had.
    asked = time.monotonic()
    first = await budget.reserve(reservation(other, 1.0, 10), None)
    second = await budget.reserve(reservation(other, 1.0, 10), None)
    between = time.monotonic() - asked  # the two reservations were made at most this far apart
    assert 0 < first.wait <= 1.0
    # Second's slot is one interval after first's; its wait is shorter by the time between the two.
    assert 1.0 - between - 0.01 <= second.wait - first.wait <= 1.0 + 0.01


async def test_a_wait_beyond_the_maximum_reserves_nothing(engine: AsyncEngine) -> None:
    budget = DatabaseBudget(engine)
    pacer = Pacer(budget, plans={"op": UsagePlan(rate=0.1, burst=1)}, headroom=EXACT, max_wait=5.0)
    call = CallKey("A1", "op", "na", "app")
    assert await pacer.acquire(call) == 0.0
    for _ in range(3):
        slot = await budget.reserve(pacer.reservations(call)[0], 5.0)
        assert not slot.reserved
        assert slot.wait == pytest.approx(10.0, abs=0.5)
    state = await pacer.state(call)
    assert state is not None
    assert state.available == pytest.approx(0.0, abs=0.06)  # refusals took nothing


async def test_the_application_key_is_spent_after_the_partners(engine: AsyncEngine) -> None:
    """Per-application limits (Listings Items): a call reserves its partner's key, then the application's."""
    budget = DatabaseBudget(engine)
    op = "listingsItems_2021-08-01.getListingsItem"
    pacer = Pacer(budget, headroom=EXACT, application_plans={op: UsagePlan(rate=20.0, burst=1)})
    waits = [await pacer.acquire(CallKey(partner, op, "na", "app")) for partner in ("A1", "A2", "A3")]
    # Each partner's own key (5/s, burst 10) was free; the application's (20/s, burst 1) spaced them.
    assert waits[0] == 0.0
    assert waits[1:] == pytest.approx([0.05, 0.05], abs=0.02)
    state = await budget.state(CallKey("A1", op, "na", "app").application_budget)
    assert state is not None
    assert state.rate == 20.0
