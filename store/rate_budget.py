"""The SP-API rate budget in the database, shared by every process of a fleet (spapi.pacing's BudgetStore).

Each method is one statement on the key's row, so concurrent replicas serialise on the row (PostgreSQL's
row lock, SQLite's database lock) and each sees the others' reservations: the same GCRA arithmetic as
spapi.pacing.budget, written in SQL, on the database's clock. A database that cannot be reached raises: the
call is not sent, and the message it serves is retried like any other database failure.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from spapi.pacing.budget import BudgetState, Reservation, Slot, available
from store.clock import database_now
from store.engine import read_only
from store.tables import RATE_BUDGET
from store.upsert import insert_for_dialect

_ROW = RATE_BUDGET.c


def _greatest(dialect: str, *values: Any) -> ColumnElement[float]:
    # PostgreSQL's GREATEST; SQLite's max() with several arguments is the same scalar function.
    return func.greatest(*values) if dialect == "postgresql" else func.max(*values)


@cache
def _reserve_statement(dialect: str) -> Any:
    now = database_now(dialect)
    statement = insert_for_dialect(dialect, RATE_BUDGET).values(
        budget_key=bindparam("key"),
        tat=now + bindparam("interval"),
        interval_s=bindparam("interval"),
        tolerance_s=bindparam("tolerance"),
        rate=bindparam("rate"),
        burst=bindparam("burst"),
        updated=now,
    )
    start = _greatest(dialect, _ROW.tat, now)
    return statement.on_conflict_do_update(
        index_elements=[_ROW.budget_key],
        set_={"tat": start + _ROW.interval_s, "updated": now},
        where=start - _ROW.tolerance_s - now <= bindparam("max_wait"),
    ).returning(
        (_ROW.tat - _ROW.interval_s - _ROW.tolerance_s - now).label("wait"), _ROW.interval_s, _ROW.tolerance_s
    )


@cache
def _wait_statement(dialect: str) -> Any:
    now = database_now(dialect)
    wait = _greatest(dialect, _ROW.tat, now) - _ROW.tolerance_s - now
    return select(wait, _ROW.interval_s, _ROW.tolerance_s).where(_ROW.budget_key == bindparam("key"))


@cache
def _learn_statement(dialect: str) -> Any:
    now = database_now(dialect)
    statement = insert_for_dialect(dialect, RATE_BUDGET).values(
        budget_key=bindparam("key"),
        tat=now,
        interval_s=bindparam("interval"),
        tolerance_s=bindparam("tolerance"),
        rate=bindparam("rate"),
        burst=bindparam("burst"),
        updated=now,
    )
    # The debt since the last reservation, at the new interval (spapi.pacing.budget.rescaled).
    rescaled = case(
        (
            _ROW.tat > _ROW.updated,
            _ROW.updated + (_ROW.tat - _ROW.updated) * statement.excluded.interval_s / _ROW.interval_s,
        ),
        else_=_ROW.tat,
    )
    return statement.on_conflict_do_update(
        index_elements=[_ROW.budget_key],
        set_={
            "tat": rescaled,
            "interval_s": statement.excluded.interval_s,
            "tolerance_s": statement.excluded.tolerance_s,
            "rate": statement.excluded.rate,
            "burst": statement.excluded.burst,
        },
        where=_ROW.rate != statement.excluded.rate,
    )


@cache
def _throttled_statement(dialect: str) -> Any:
    now = database_now(dialect)
    return (
        update(RATE_BUDGET)
        .where(_ROW.budget_key == bindparam("key"))
        .values(tat=_greatest(dialect, _ROW.tat, now + _ROW.interval_s + _ROW.tolerance_s), updated=now)
    )


@cache
def _state_statement(dialect: str) -> Any:
    return select(
        _ROW.tat, _ROW.interval_s, _ROW.tolerance_s, _ROW.rate, _ROW.burst, database_now(dialect)
    ).where(_ROW.budget_key == bindparam("key"))


# An upper bound standing in for "no maximum wait": the WHERE clause then always holds.
_NO_LIMIT = 1e12


class DatabaseBudget:
    """A BudgetStore in the ``rate_budget`` table (see the module docstring)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name

    def __repr__(self) -> str:
        return f"DatabaseBudget({self._engine.url.render_as_string(hide_password=True)!r})"

    async def reserve(self, reservation: Reservation, max_wait: float | None) -> Slot:
        params = {
            "key": reservation.key,
            "interval": reservation.interval,
            "tolerance": reservation.tolerance,
            "rate": reservation.rate,
            "burst": reservation.burst,
            "max_wait": _NO_LIMIT if max_wait is None else max_wait,
        }
        async with self._engine.begin() as connection:
            taken = (await connection.execute(_reserve_statement(self._dialect), params)).first()
        if taken is not None:
            return Slot(max(0.0, float(taken[0])), True, float(taken[1]), float(taken[2]))
        # Refused (rare: a backlog beyond the maximum wait): say how far away the slot was.
        async with read_only(self._engine) as connection:
            refused = (
                await connection.execute(_wait_statement(self._dialect), {"key": reservation.key})
            ).one()
        return Slot(max(0.0, float(refused[0])), False, float(refused[1]), float(refused[2]))

    async def learn_rate(self, reservation: Reservation) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                _learn_statement(self._dialect),
                {
                    "key": reservation.key,
                    "interval": reservation.interval,
                    "tolerance": reservation.tolerance,
                    "rate": reservation.rate,
                    "burst": reservation.burst,
                },
            )

    async def throttled(self, key: str) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(_throttled_statement(self._dialect), {"key": key})

    async def state(self, key: str) -> BudgetState | None:
        async with read_only(self._engine) as connection:
            row = (await connection.execute(_state_statement(self._dialect), {"key": key})).first()
        if row is None:
            return None
        tat, interval, tolerance, rate, burst, now = row
        return BudgetState(
            float(rate),
            int(burst),
            float(interval),
            float(tolerance),
            available(tat, now, interval, tolerance),
        )
