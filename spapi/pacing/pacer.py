"""The client's side of the budget: which keys a call spends, at what pace, and how long it waits.

A call waits for its selling partner's slot first and only then takes the application-wide slot (where
Amazon keeps one): a partner with a deep backlog holds the application's bucket only at its own pace. Even
when the partners' own paces add up to more than the application's bucket gives, none starves the others:
in each process a partner holds one place in the application's queue at a time, and asks for the next only
when that one's slot has come, so partners take turns instead of one backlog's reservations standing ahead
of every call that comes after them. And a key's reservations from one process go to the budget one at a
time: a deep backlog holds one database connection, not the pool the other partners' calls need too.

A slot granted ahead is a promise about time: should this process wake late (a busy event loop), several
callers could go at once where their slots were spread out. Each key's sends from this process therefore also
pass a local gate at the key's own pace, which never delays a caller in time and re-spaces the late ones.

A slot is reserved at the pace the key had then. When Amazon states another rate, the callers already
waiting in this process move with it (their place in the queue is rescaled to the new interval, as the key's
debt is), at once when this process hears the rate, and within REFRESH_SECONDS when another process did
(the first caller waiting on a key asks the budget that often; the others sleep until their slot).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from spapi.errors import RateLimitWaitExceeded
from spapi.model_catalog import UsagePlan
from spapi.pacing.application_plans import APPLICATION_PLANS
from spapi.pacing.budget import BudgetState, BudgetStore, Reservation, rescaled, take_slot
from spapi.pacing.headroom import DEFAULT_HEADROOM, Headroom
from spapi.pacing.keys import CallKey
from spapi.pacing.turns import Turns
from spapi.usage_plans import USAGE_PLANS

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

# How often a caller waiting for a slot looks for a rate another process learned.
REFRESH_SECONDS = 1.0


@dataclass(eq=False)
class _Waiter:
    deadline: float  # on the pacer's clock
    interval: float  # the key's pace: at the reservation, or as rescaled since
    tolerance: float
    # While it naps: resolved to wake it early (its pace changed, or it became the key's first waiter, the
    # one that looks for rates learned elsewhere). A plain future, not a task per reason: naps are many.
    wake: asyncio.Future[None] | None = None

    def rouse(self) -> None:
        if self.wake is not None and not self.wake.done():
            self.wake.set_result(None)


# For an operation missing from the models: one request at a time, one per second.
FALLBACK_PLAN = UsagePlan(rate=1.0, burst=1)


class Pacer:
    """Waits for a slot before each call and feeds back what Amazon said (see the module docstring)."""

    def __init__(
        self,
        budget: BudgetStore,
        *,
        plans: Mapping[str, UsagePlan] = USAGE_PLANS,
        overrides: Mapping[str, UsagePlan] | None = None,
        application_plans: Mapping[str, UsagePlan] = APPLICATION_PLANS,
        headroom: Headroom = DEFAULT_HEADROOM,
        max_wait: float | None = 60.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        refresh: float = REFRESH_SECONDS,
    ) -> None:
        self.budget = budget
        self._plans = {**plans, **(overrides or {})}
        self._application_plans = application_plans
        self._headroom = headroom
        self._max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._refresh_every = refresh
        self._waiting: dict[str, list[_Waiter]] = {}
        self._sent: dict[str, tuple[float, float]] = {}  # the local gate's TAT per key, and its interval
        self._refreshed: dict[str, float] = {}
        # Each key's interval as the budget last told this process (a reservation's slot, a refresh): a stated
        # rate equal to it changes nothing, and costs no write to the budget.
        self._known: dict[str, float] = {}
        self._reserving = Turns()  # per budget key: one reservation of this process in flight
        self._application_turns = Turns()  # per (application key, partner): one place in its queue

    def plan(self, operation: str) -> UsagePlan:
        """The default usage plan of an operation (the models' Usage Plan table, or an override)."""
        return self._plans.get(operation, FALLBACK_PLAN)

    def _reservation(self, key: str, plan: UsagePlan) -> Reservation:
        interval, tolerance = self._headroom.pace(plan)
        return Reservation(key, interval, tolerance, plan.rate, plan.burst)

    def reservations(self, call: CallKey) -> list[Reservation]:
        """The keys a call spends, the selling partner's first."""
        found = [self._reservation(call.budget, self.plan(call.operation))]
        application = self._application_plans.get(call.operation)
        if application is not None:
            found.append(self._reservation(call.application_budget, application))
        return found

    async def acquire(self, call: CallKey) -> float:
        """Wait for a slot of every key the call spends; returns the seconds waited.

        RateLimitWaitExceeded when a slot is further away than the maximum wait; nothing is reserved then.
        """
        waited = 0.0
        for reservation in self.reservations(call):
            if reservation.key == call.budget:
                waited += await self._take_slot(call, reservation, waited)
                continue
            started = self._clock()
            async with self._application_turns.take((reservation.key, call.budget)) as queued:
                waited += self._clock() - started if queued else 0.0
                waited += await self._take_slot(call, reservation, waited)
        return waited

    async def _take_slot(self, call: CallKey, reservation: Reservation, waited: float) -> float:
        """Reserve the key's slot and wait for it; returns the seconds waited (``waited``: before this)."""
        started = self._clock()
        async with self._reserving.take(reservation.key) as queued:
            queue = self._clock() - started if queued else 0.0
            left = None if self._max_wait is None else max(0.0, self._max_wait - waited - queue)
            slot = await self.budget.reserve(reservation, left)
        self._known[reservation.key] = slot.interval
        if not slot.reserved:
            raise RateLimitWaitExceeded(
                call.operation, call.label, waited + queue + slot.wait, self._max_wait or 0.0
            )
        waiter = _Waiter(self._clock() + slot.wait, slot.interval, slot.tolerance)
        slept = await self._wait(reservation.key, waiter) if slot.wait > 0 else 0.0
        return queue + slept + await self._gate(reservation.key, waiter.interval, waiter.tolerance)

    async def _gate(self, key: str, interval: float, tolerance: float) -> float:
        """This process's own GCRA step on the key, at send time (see the module docstring)."""
        now = self._clock()
        tat, paced_at = self._sent.get(key, (now, interval))
        if paced_at != interval:
            # The key's pace changed since: what this process still owes is owed at the new one.
            tat = rescaled(tat, now, paced_at, interval)
        tat, slot = take_slot(tat, now, interval, tolerance, None)
        self._sent[key] = (tat, interval)
        if slot.wait <= 0:
            return 0.0
        await self._sleep(slot.wait)
        return slot.wait

    async def _wait(self, key: str, waiter: _Waiter) -> float:
        started = self._clock()
        waiting = self._waiting.setdefault(key, [])
        waiting.append(waiter)
        try:
            while (remaining := waiter.deadline - self._clock()) > 0:
                # Waiters queue in the order of their slots. Only the first wakes every refresh interval
                # to look for a rate another process learned; the others sleep until their slot (or until
                # the pace changes, or they come first): a long queue costs no wake-ups.
                if waiting[0] is waiter:
                    await self._nap(waiter, min(remaining, self._refresh_every))
                    await self._refresh(key, waiter)
                else:
                    await self._nap(waiter, remaining)
        finally:
            was_first = waiting[0] is waiter
            waiting.remove(waiter)
            if not waiting:
                del self._waiting[key]
            elif was_first:
                waiting[0].rouse()
        return self._clock() - started

    async def _nap(self, waiter: _Waiter, seconds: float) -> None:
        """Sleep, unless the key's pace changes first (a rate heard in this process) or ``waiter`` comes
        first in the queue."""
        # A rouse that comes between two naps is not lost: the waiting loop looks at the queue and the
        # deadline again before every nap.
        waiter.wake = asyncio.get_running_loop().create_future()
        nap = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait((nap, waiter.wake), return_when=asyncio.FIRST_COMPLETED)
        finally:
            nap.cancel()
            waiter.wake = None

    async def _refresh(self, key: str, waiter: _Waiter) -> None:
        """Now and then per key, while its callers still wait: has another process learned a rate?"""
        now = self._clock()
        last = self._refreshed.get(key)
        if waiter.deadline <= now or (last is not None and now - last < self._refresh_every):
            return
        self._refreshed[key] = now
        state = await self.budget.state(key)
        if state is not None:
            self._known[key] = state.interval
            self._rescale(key, state.interval, state.tolerance)

    def _rescale(self, key: str, interval: float, tolerance: float) -> None:
        """The key is paced at ``interval`` now: the callers waiting here keep their order and their debt."""
        now = self._clock()
        for waiter in self._waiting.get(key, ()):
            if waiter.interval != interval and waiter.deadline > now:
                waiter.deadline = now + (waiter.deadline - now) * interval / waiter.interval
                waiter.rouse()
            waiter.interval, waiter.tolerance = interval, tolerance

    async def observe(
        self, call: CallKey, *, status: int, rate_limit: float | None, application: bool = False
    ) -> None:
        """Feed back what Amazon said: its current rate for the partner, and whether it throttled us
        (``application``: the application-wide limit did).

        The header states the account-application rate only, so it never changes the application-wide key.
        """
        if rate_limit is not None and rate_limit > 0:
            plan = UsagePlan(rate=rate_limit, burst=self.plan(call.operation).burst)
            learned = self._reservation(call.budget, plan)
            if self._known.get(call.budget) != learned.interval:
                await self.budget.learn_rate(learned)
                self._known[call.budget] = learned.interval
            self._rescale(call.budget, learned.interval, learned.tolerance)
        if status == 429:
            whole_application = application and call.operation in self._application_plans
            await self.budget.throttled(call.application_budget if whole_application else call.budget)

    async def state(self, call: CallKey) -> BudgetState | None:
        """The selling partner's key of a call, as the budget holds it."""
        return await self.budget.state(call.budget)
