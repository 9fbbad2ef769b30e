"""Reconciliation's SQL: each seller's sweep state (``reconcile_state``) and its runs (``reconcile_runs``).

The sweep (consumer.reconcile) calls these inside its own transactions, so that a page's order writes, its
progress and the lease renewal that fences it commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from store.engine import read_only
from store.tables import NOTIFICATIONS, ORDERS, RECONCILE_RUNS, RECONCILE_STATE
from store.upsert import insert as upsert

RUNNING = "running"
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Window:
    """The orders a sweep asks for: changed at Amazon at or after ``after`` and at or before ``before``."""

    after: datetime
    before: datetime


@dataclass(frozen=True)
class ReconcileState:
    """A row of ``reconcile_state``: a seller's high-water mark, last run, and the window in progress."""

    seller_id: str
    region: str
    high_water_mark: datetime | None
    last_run_at: datetime | None
    last_outcome: str | None
    last_error: str | None
    window: Window | None
    next_token: str | None
    token_issued_at: datetime | None
    run_id: int | None


@dataclass
class RunCounts:
    """What a run has done so far (the counters of its ``reconcile_runs`` row)."""

    pages: int = 0
    orders_seen: int = 0
    orders_changed: int = 0
    orders_missed: int = 0
    restarts: int = 0

    def values(self) -> dict[str, int]:
        """The counters as column values."""
        return {
            "pages": self.pages,
            "orders_seen": self.orders_seen,
            "orders_changed": self.orders_changed,
            "orders_missed": self.orders_missed,
            "restarts": self.restarts,
        }


def _state(row: Row[Any]) -> ReconcileState:
    after, before = row.window_after, row.window_before
    return ReconcileState(
        seller_id=row.seller_id,
        region=row.region,
        high_water_mark=row.high_water_mark,
        last_run_at=row.last_run_at,
        last_outcome=row.last_outcome,
        last_error=row.last_error,
        window=Window(after, before) if after is not None and before is not None else None,
        next_token=row.next_token,
        token_issued_at=row.token_issued_at,
        run_id=row.run_id,
    )


async def load_state(engine: AsyncEngine, seller_id: str, region: str) -> ReconcileState | None:
    """The seller's state in the region, or None before its first sweep."""
    state = RECONCILE_STATE.c
    async with read_only(engine) as connection:
        row = (
            await connection.execute(
                select(RECONCILE_STATE).where(state.seller_id == seller_id, state.region == region)
            )
        ).first()
    return None if row is None else _state(row)


async def list_states(engine: AsyncEngine) -> list[ReconcileState]:
    """Every seller's state, by seller and region."""
    state = RECONCILE_STATE.c
    async with read_only(engine) as connection:
        ordered = select(RECONCILE_STATE).order_by(state.seller_id, state.region)
        rows = (await connection.execute(ordered)).all()
    return [_state(row) for row in rows]


async def begin_run(
    connection: AsyncConnection,
    *,
    seller_id: str,
    region: str,
    window: Window,
    next_token: str | None,
    token_issued_at: datetime | None,
    resumed: bool,
    replica: str,
    now: datetime,
) -> int:
    """Record a run of ``window`` (resuming at ``next_token`` when ``resumed``) as the seller's run in
    progress; a run it takes over from, left ``running`` by a process that stopped, becomes ``interrupted``.
    Returns the new run's id."""
    state = RECONCILE_STATE.c
    previous = await connection.scalar(
        select(state.run_id).where(state.seller_id == seller_id, state.region == region)
    )
    if previous is not None:
        await connection.execute(
            update(RECONCILE_RUNS)
            .where(RECONCILE_RUNS.c.run_id == previous, RECONCILE_RUNS.c.outcome == RUNNING)
            .values(outcome=INTERRUPTED, finished_at=now)
        )
    run_id = await connection.scalar(
        insert(RECONCILE_RUNS)
        .values(
            seller_id=seller_id,
            region=region,
            window_after=window.after,
            window_before=window.before,
            started_at=now,
            outcome=RUNNING,
            replica=replica,
            resumed=resumed,
            **RunCounts().values(),
        )
        .returning(RECONCILE_RUNS.c.run_id)
    )
    assert isinstance(run_id, int)
    progress = {
        "window_after": window.after,
        "window_before": window.before,
        "next_token": next_token,
        "token_issued_at": token_issued_at,
        "run_id": run_id,
        "updated_at": now,
    }
    statement = upsert(connection, RECONCILE_STATE).values(seller_id=seller_id, region=region, **progress)
    await connection.execute(
        statement.on_conflict_do_update(index_elements=[state.seller_id, state.region], set_=progress)
    )
    return run_id


async def record_counts(connection: AsyncConnection, *, run_id: int, counts: RunCounts) -> None:
    """The run's counters so far (a page's orders written in several transactions, before its last)."""
    await connection.execute(
        update(RECONCILE_RUNS).where(RECONCILE_RUNS.c.run_id == run_id).values(**counts.values())
    )


async def record_page(
    connection: AsyncConnection,
    *,
    seller_id: str,
    region: str,
    run_id: int,
    counts: RunCounts,
    next_token: str | None,
    token_issued_at: datetime | None,
    now: datetime,
) -> None:
    """A page is done: the run's counters, and where the window's next page starts (in the caller's
    transaction, with the page's order writes)."""
    await connection.execute(
        update(RECONCILE_RUNS).where(RECONCILE_RUNS.c.run_id == run_id).values(**counts.values())
    )
    state = RECONCILE_STATE.c
    await connection.execute(
        update(RECONCILE_STATE)
        .where(state.seller_id == seller_id, state.region == region)
        .values(next_token=next_token, token_issued_at=token_issued_at, updated_at=now)
    )


async def finish_run(
    connection: AsyncConnection,
    *,
    seller_id: str,
    region: str,
    run_id: int,
    counts: RunCounts,
    outcome: str,
    error: str | None,
    now: datetime,
    duration: float,
    complete: bool,
    high_water_mark: datetime | None = None,
    own_state: bool = True,
) -> None:
    """End the run with ``outcome``. ``complete``: its window is done and cleared, and the high-water mark
    moves to ``high_water_mark`` (never back); otherwise the window stays for the next run to resume.
    ``own_state`` False (the run lost its lease) leaves the seller's state to whoever took it over."""
    await connection.execute(
        update(RECONCILE_RUNS)
        .where(RECONCILE_RUNS.c.run_id == run_id)
        .values(outcome=outcome, error=error, finished_at=now, duration_seconds=duration, **counts.values())
    )
    if not own_state:
        return
    state = RECONCILE_STATE.c
    values: dict[str, object] = {
        "last_run_at": now,
        "last_outcome": outcome,
        "last_error": error,
        "run_id": None,
        "updated_at": now,
    }
    if complete:
        values.update(window_after=None, window_before=None, next_token=None, token_issued_at=None)
    if high_water_mark is not None:
        mark = select(state.high_water_mark).where(state.seller_id == seller_id, state.region == region)
        current = await connection.scalar(mark)
        values["high_water_mark"] = high_water_mark if current is None else max(current, high_water_mark)
    await connection.execute(
        update(RECONCILE_STATE).where(state.seller_id == seller_id, state.region == region).values(**values)
    )


async def stored_versions(engine: AsyncEngine, order_ids: Sequence[str]) -> dict[str, datetime | None]:
    """The stored ``lastUpdatedTime`` of each of these orders that is stored."""
    if not order_ids:
        return {}
    orders = ORDERS.c
    async with read_only(engine) as connection:
        rows = (
            await connection.execute(
                select(orders.amazon_order_id, orders.last_updated_time).where(
                    orders.amazon_order_id.in_(list(order_ids))
                )
            )
        ).all()
    return {row.amazon_order_id: row.last_updated_time for row in rows}


async def last_received(
    engine: AsyncEngine, selling_partner_id: str, notification_type: str
) -> datetime | None:
    """When the newest notification of this type for this selling partner was received (the ledger)."""
    ledger = NOTIFICATIONS.c
    async with read_only(engine) as connection:
        found: datetime | None = await connection.scalar(
            select(func.max(ledger.received_at)).where(
                and_(
                    ledger.selling_partner_id == selling_partner_id,
                    ledger.notification_type == notification_type,
                )
            )
        )
    return found
