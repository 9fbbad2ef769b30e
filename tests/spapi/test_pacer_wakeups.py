"""A queue of callers waiting for their slots costs no wake-ups: only the first looks for new rates."""

from __future__ import annotations

import asyncio

from spapi.model_catalog import UsagePlan
from spapi.pacing import EXACT, CallKey, MemoryBudget, Pacer


async def test_waiting_callers_sleep_until_their_slot() -> None:
    naps: list[float] = []

    async def sleep(seconds: float) -> None:
        naps.append(seconds)
        await asyncio.sleep(seconds)

    callers = 40
    pacer = Pacer(
        MemoryBudget(), plans={"op": UsagePlan(rate=40.0, burst=1)}, headroom=EXACT, sleep=sleep, refresh=0.05
    )
    waits = await asyncio.gather(*(pacer.acquire(CallKey("A1", "op", "na", "app")) for _ in range(callers)))
    # The last slot is a second away: a caller waking every 0.05 s would nap 20 times.
    assert max(waits) >= 0.9
    # A sleep to its slot, a wake-up when it comes first, the local gate's, and the first's refresh naps; the
    # callers waking every refresh interval instead would take ten times as many.
    assert len(naps) <= 4 * callers, len(naps)
