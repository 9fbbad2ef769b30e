"""What the daemon's /status page reads from the database: the newest notification per seller and type,
recent dead-letter and failure reasons, the rate budget in use, and reconciliation's missed orders.

Read-only and without buyer data or error text: the page shows identifiers, counts, reasons and times. The
ledger queries scan the ledger (or a day of it), so the daemon runs them only while someone looks at the
page (consumer.ops.status_refresher); the budget query reads the small ``rate_budget`` table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from spapi.pacing.budget import available
from store.clock import database_now
from store.engine import read_only
from store.tables import DELIVERY_FAILURES, NOTIFICATIONS, RATE_BUDGET, RECONCILE_RUNS, LedgerStatus

# A notification without a selling partner (a malformed or foreign one) is shown under this name.
NO_SELLER = "-"


@dataclass(frozen=True)
class LastNotification:
    """The newest notification of a seller and type in the ledger, and how many the ledger holds."""

    seller: str
    notification_type: str
    received_at: datetime
    count: int


@dataclass(frozen=True)
class ReasonCount:
    """How often a reason occurred since a time, and when last."""

    reason: str
    count: int
    last_at: datetime | None


@dataclass(frozen=True)
class RecentDeadLetter:
    """One dead-lettered notification: when, what, whose, why (the reason only; the error text stays in
    the ledger and the DLQ, where ``spapi-notify dlq show`` reads it)."""

    at: datetime | None
    notification_type: str
    seller: str
    reason: str


@dataclass(frozen=True)
class BudgetInUse:
    """A rate-budget key used lately: Amazon's rate and burst, the share of its burst spent, and how long a
    call asking now would wait."""

    region: str
    partner: str
    operation: str
    rate: float
    burst: int
    used: float
    wait: float


def _reason(dialect: str, error: Any) -> ColumnElement[str]:
    """The reason of a ledger ``error`` (``reason: message``): the text before the first colon."""
    if dialect == "postgresql":
        return func.split_part(error, literal(":"), 1)
    return func.substr(error, 1, func.instr(error, ":") - 1)


async def last_notifications(engine: AsyncEngine, limit: int = 200) -> list[LastNotification]:
    """Per seller and notification type, the newest notification received, newest first."""
    table = NOTIFICATIONS.c
    newest = func.max(table.received_at)
    query = (
        select(table.selling_partner_id, table.notification_type, newest, func.count())
        .group_by(table.selling_partner_id, table.notification_type)
        .order_by(newest.desc())
        .limit(limit)
    )
    async with read_only(engine) as connection:
        rows = (await connection.execute(query)).all()
    return [LastNotification(row[0] or NO_SELLER, row[1], row[2], int(row[3])) for row in rows]


async def dead_letter_reasons(engine: AsyncEngine, since: datetime) -> list[ReasonCount]:
    """Reasons of the notifications received since ``since`` that were dead-lettered, commonest first."""
    table = NOTIFICATIONS.c
    reason = _reason(engine.dialect.name, table.error).label("reason")
    query = (
        select(reason, func.count(), func.max(table.processed_at))
        .where(table.received_at >= since, table.status == LedgerStatus.DEAD_LETTERED.value)
        .group_by(reason)
        .order_by(func.count().desc(), reason)
    )
    async with read_only(engine) as connection:
        rows = (await connection.execute(query)).all()
    return [ReasonCount(row[0] or "unknown", int(row[1]), row[2]) for row in rows]


async def recent_dead_letters(
    engine: AsyncEngine, since: datetime, limit: int = 10
) -> list[RecentDeadLetter]:
    """The newest dead-lettered notifications received since ``since``."""
    table = NOTIFICATIONS.c
    query = (
        select(
            table.processed_at,
            table.notification_type,
            table.selling_partner_id,
            _reason(engine.dialect.name, table.error),
        )
        .where(table.received_at >= since, table.status == LedgerStatus.DEAD_LETTERED.value)
        .order_by(table.received_at.desc())
        .limit(limit)
    )
    async with read_only(engine) as connection:
        rows = (await connection.execute(query)).all()
    return [RecentDeadLetter(row[0], row[1], row[2] or NO_SELLER, row[3] or "unknown") for row in rows]


async def failure_reasons(engine: AsyncEngine, since: datetime) -> list[ReasonCount]:
    """Reasons of the transient failures since ``since`` (``delivery_failures``), commonest first: what
    SQS's redrive moves to the DLQ after maxReceiveCount comes with no reason of ours, only these."""
    table = DELIVERY_FAILURES.c
    query = (
        select(table.reason, func.count(), func.max(table.failed_at))
        .where(table.failed_at >= since)
        .group_by(table.reason)
        .order_by(func.count().desc(), table.reason)
    )
    async with read_only(engine) as connection:
        rows = (await connection.execute(query)).all()
    return [ReasonCount(row[0], int(row[1]), row[2]) for row in rows]


async def budget_in_use(engine: AsyncEngine, within: float) -> list[BudgetInUse]:
    """The rate-budget keys reserved in the last ``within`` seconds, the busiest first (on the database's
    clock, like the budget itself)."""
    table = RATE_BUDGET.c
    now = database_now(engine.dialect.name)
    query = select(
        table.budget_key, table.tat, table.interval_s, table.tolerance_s, table.rate, table.burst, now
    ).where(table.updated >= now - within)
    async with read_only(engine) as connection:
        rows = (await connection.execute(query)).all()
    found = []
    for key, tat, interval, tolerance, rate, burst, at in rows:
        parts = str(key).rsplit("|", 3)
        if len(parts) != 4 or interval <= 0:
            continue
        _, region, partner, operation = parts
        capacity = tolerance / interval + 1
        free = available(tat, at, interval, tolerance)
        wait = max(0.0, max(tat, at) - tolerance - at)
        found.append(
            BudgetInUse(region, partner, operation, float(rate), int(burst), 1 - free / capacity, wait)
        )
    return sorted(found, key=lambda key: (-key.wait, -key.used, key.partner, key.operation))


async def missed_orders(engine: AsyncEngine, since: datetime) -> dict[tuple[str, str], int]:
    """(seller, region) -> orders reconciliation's runs started since ``since`` found that no notification
    had brought."""
    table = RECONCILE_RUNS.c
    query = (
        select(table.seller_id, table.region, func.sum(table.orders_missed))
        .where(table.started_at >= since)
        .group_by(table.seller_id, table.region)
    )
    async with read_only(engine) as connection:
        rows = (await connection.execute(query)).all()
    return {(row[0], row[1]): int(row[2] or 0) for row in rows}
