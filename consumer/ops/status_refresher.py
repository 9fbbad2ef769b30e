"""The event loop's side of /status: reads the queues and the database, publishes snapshots on the board,
and keeps the gauges that come from the same reads (queue depths, the rate budget in use).

Every ``interval`` seconds it reads the cheap parts: both queues' depths (two GetQueueAttributes calls) and
the rate-budget keys used lately (a small table). The ledger's parts scan the ledger, so they are read only
when the page asks (consumer.ops.status.StatusBoard.fresh), and at most once per ``ledger_min_age`` seconds
however often it is reloaded. A part that cannot be read is named in the snapshot; the rest is still shown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.intake.depth import QueueDepth, queue_depth
from consumer.intake.queue import Queue
from consumer.ops.metrics import Metrics
from consumer.ops.redact import mask_passwords
from consumer.ops.status import LedgerView, ReconcileRow, StatusBoard, StatusSnapshot
from store.reconcile import list_states
from store.status import (
    BudgetInUse,
    budget_in_use,
    dead_letter_reasons,
    failure_reasons,
    last_notifications,
    missed_orders,
    recent_dead_letters,
)

log = structlog.get_logger("consumer.ops.status")

SOURCE = "source"
DEAD_LETTER = "dead_letter"
# What "recently" means on the page: dead letters, failures and missed orders of the last day.
RECENT = timedelta(hours=24)
# Rate-budget keys reserved within this many seconds count as in use.
BUDGET_ACTIVE_SECONDS = 900.0
PROBLEM_LENGTH = 160


@dataclass(frozen=True)
class StatusConfig:
    """How often the cheap parts are read, and how fresh the ledger's parts must be when the page asks."""

    interval: float = 30.0
    ledger_min_age: float = 5.0


def _problem(part: str, exc: BaseException) -> str:
    first_line = (str(exc) or type(exc).__name__).splitlines()[0]
    return f"{part}: {type(exc).__name__}: {mask_passwords(first_line)[:PROBLEM_LENGTH]}"


class StatusRefresher:
    """Publishes snapshots on ``board`` until cancelled (see the module docstring)."""

    def __init__(
        self,
        board: StatusBoard,
        engine: AsyncEngine,
        queues: Mapping[str, Queue],
        metrics: Metrics,
        *,
        replica: str,
        config: StatusConfig = StatusConfig(),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._board = board
        self._engine = engine
        self._queues = dict(queues)
        self._metrics = metrics
        self._replica = replica
        self._config = config
        self._clock = clock
        self._budget_labels: set[tuple[str, str]] = set()

    async def run(self) -> None:
        """Refresh, then sleep until the interval is over or the page asks; forever."""
        wake = asyncio.Event()
        loop = asyncio.get_running_loop()
        self._board.attach(lambda: loop.call_soon_threadsafe(wake.set))
        while True:
            wake.clear()
            asked = self._board.take_request() is not None
            try:
                await self.refresh(ledger=asked)
            except Exception as exc:  # every read is guarded; this keeps the page alive through a bug
                log.warning("status.refresh_failed", error=_problem("status", exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=self._config.interval)

    async def refresh(self, *, ledger: bool) -> StatusSnapshot:
        """Read and publish one snapshot; the ledger's parts are read again when ``ledger`` and older than
        ``ledger_min_age``, else kept from the previous snapshot."""
        problems: list[str] = []
        now = self._clock()
        queues = await self._depths(problems)
        budget = await self._budget(problems)
        previous = self._board.latest
        view = previous.ledger if previous is not None else None
        if ledger and (view is None or (now - view.taken_at).total_seconds() >= self._config.ledger_min_age):
            view = await self._ledger(now, problems)
        elif previous is not None:
            problems.extend(p for p in previous.problems if p.startswith("ledger"))
        snapshot = StatusSnapshot(now, self._replica, queues, budget, view, tuple(problems))
        self._board.publish(snapshot)
        return snapshot

    async def _depths(self, problems: list[str]) -> dict[str, QueueDepth | None]:
        depths: dict[str, QueueDepth | None] = {}
        for name, queue in self._queues.items():
            try:
                depth = await queue_depth(queue)
            except Exception as exc:
                problems.append(_problem(f"{name} queue", exc))
                depths[name] = None
                continue
            depths[name] = depth
            for state, count in depth.by_state().items():
                self._metrics.queue_messages.labels(name, state).set(count)
        return depths

    async def _budget(self, problems: list[str]) -> list[BudgetInUse]:
        try:
            keys = await budget_in_use(self._engine, BUDGET_ACTIVE_SECONDS)
        except Exception as exc:
            problems.append(_problem("rate budget", exc))
            previous = self._board.latest
            return list(previous.budget) if previous is not None else []
        labels = set()
        for key in keys:
            label = (key.partner, key.operation)
            labels.add(label)
            self._metrics.budget_wait.labels(*label).set(key.wait)
            self._metrics.budget_used.labels(*label).set(key.used)
        # Keys nobody used lately leave the metrics, so their number stays that of the keys in use.
        for label in self._budget_labels - labels:
            with contextlib.suppress(KeyError):
                self._metrics.budget_wait.remove(*label)
                self._metrics.budget_used.remove(*label)
        self._budget_labels = labels
        return keys

    async def _ledger(self, now: datetime, problems: list[str]) -> LedgerView | None:
        since = now - RECENT
        try:
            states = await list_states(self._engine)
            missed = await missed_orders(self._engine, since)
            view = LedgerView(
                taken_at=now,
                last_notifications=await last_notifications(self._engine),
                dead_letter_reasons=await dead_letter_reasons(self._engine, since),
                recent_dead_letters=await recent_dead_letters(self._engine, since),
                failure_reasons=await failure_reasons(self._engine, since),
                reconcile=[
                    ReconcileRow(
                        state.seller_id,
                        state.region,
                        state.high_water_mark,
                        state.last_run_at,
                        state.last_outcome,
                        missed.get((state.seller_id, state.region), 0),
                    )
                    for state in states
                ],
            )
        except Exception as exc:
            problems.append(_problem("ledger", exc))
            previous = self._board.latest
            return previous.ledger if previous is not None else None
        return view


@asynccontextmanager
async def refreshing(refresher: StatusRefresher) -> AsyncIterator[StatusRefresher]:
    """``refresher`` running as a background task for the length of the block."""
    task = asyncio.create_task(refresher.run(), name="status")
    try:
        yield refresher
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
