"""The daemon's periodic sweeps: every seller whose last sweep ended ``interval`` ago, a few at a time.

Rounds run when the next seller comes due, and at least once a minute.

Every replica runs a scheduler; whether a seller is due is read from the database (``reconcile_state``)
after taking the seller's lease, so a fleet sweeps each seller once per interval, not once per replica. A
sweep a crashed replica left unfinished is due at once (it resumes where that one stopped). The scheduler
also keeps the lag gauge of every seller current, and never lets an error stop it: a sweep that fails is
recorded and counted, and retried when next due.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.ops.metrics import Metrics
from consumer.reconcile.config import ReconcileConfig
from consumer.reconcile.result import SweepResult
from consumer.reconcile.sweep import Sweeper, describe
from store.reconcile import ReconcileState, list_states
from store.seller_directory import SellerDirectory

log = structlog.get_logger("consumer.reconcile")

# How often a replica looks for due sellers, at most: a crashed replica's sweep is picked up this soon after
# its lease expires.
CHECK_SECONDS = 60.0
# The shortest pause between rounds (a seller swept by another replica a moment ago is not due yet).
MIN_PAUSE_SECONDS = 1.0


class ReconcileScheduler:
    """Runs due sweeps until ``stop()`` (see the module docstring)."""

    def __init__(
        self,
        sweeper: Sweeper,
        sellers: SellerDirectory,
        engine: AsyncEngine,
        config: ReconcileConfig,
        metrics: Metrics,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sweeper = sweeper
        self._sellers = sellers
        self._engine = engine
        self._config = config
        self._metrics = metrics
        self._clock = clock
        self._stop = asyncio.Event()
        self.rounds = 0  # rounds completed, for tests and logs

    def __repr__(self) -> str:
        return f"ReconcileScheduler(interval={self._config.interval:g})"

    def stop(self) -> None:
        """Stop after the current round; run() returns (a sweep in progress is cancelled by the caller)."""
        self._stop.set()

    async def run(self) -> None:
        """Round after round of due sweeps: the next when the next seller comes due, and at least every
        CHECK_SECONDS (a replica that crashed mid-sweep, a seller added meanwhile)."""
        while not self._stop.is_set():
            pause = CHECK_SECONDS
            try:
                await self.round()
                pause = await self._until_next_due()
            except Exception as exc:  # the database or the sellers table unreachable: try again later
                log.warning("reconcile.round_failed", error=describe(exc))
            self.rounds += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=pause)

    async def _until_next_due(self) -> float:
        interval = timedelta(seconds=self._config.interval)
        due = [s.last_run_at + interval for s in await list_states(self._engine) if s.last_run_at is not None]
        if not due:
            return CHECK_SECONDS
        wait = (min(due) - self._clock()).total_seconds()
        return min(CHECK_SECONDS, max(MIN_PAUSE_SECONDS, wait))

    async def round(self) -> list[SweepResult]:
        """Sweep every due seller, ``concurrency`` at a time; then refresh the lag gauges."""
        limit = asyncio.Semaphore(self._config.concurrency)

        async def one(seller_id: str) -> SweepResult | None:
            async with limit:
                if self._stop.is_set():
                    return None
                try:
                    return await self._sweeper.sweep(seller_id, due_only=True)
                except Exception as exc:  # e.g. credentials that no longer decrypt: the others go on
                    self._metrics.sweep_failures.labels(seller=seller_id).inc()
                    log.warning("reconcile.sweep_failed", seller=seller_id, error=describe(exc))
                    return None

        # A first look without locks; each sweep looks again under the seller's lease.
        now = self._clock()
        states: dict[str, list[ReconcileState]] = {}
        for state in await list_states(self._engine):
            states.setdefault(state.seller_id, []).append(state)
        due = [
            seller_id
            for seller_id in await self._sellers.known_ids()
            if not states.get(seller_id) or any(self._sweeper.is_due(s, now) for s in states[seller_id])
        ]
        results = await asyncio.gather(*(one(seller_id) for seller_id in due))
        now = self._clock()
        for state in await list_states(self._engine):
            if state.high_water_mark is not None:
                lag = (now - state.high_water_mark).total_seconds()
                self._metrics.reconcile_lag.labels(seller=state.seller_id).set(lag)
        return [result for result in results if result is not None]
