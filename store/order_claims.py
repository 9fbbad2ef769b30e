"""Order fetch claims: one replica of a fleet fetches an order while the others wait for its write.

A claim is a row with an expiry on the database's clock. The claimant releases it in the transaction that
writes the order (so a waiter sees the order and the release together); a claimant that crashed leaves it to
expire, and the waiters then claim it themselves.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from store.clock import database_now
from store.engine import read_only
from store.tables import ORDER_FETCH_CLAIMS, ORDERS
from store.upsert import insert_for_dialect

_CLAIM = ORDER_FETCH_CLAIMS.c


@cache
def _claim_statement(dialect: str) -> Any:
    now = database_now(dialect)
    statement = insert_for_dialect(dialect, ORDER_FETCH_CLAIMS).values(
        amazon_order_id=bindparam("order_id"),
        claimed_by=bindparam("claimant"),
        expires_at=now + bindparam("ttl"),
    )
    return statement.on_conflict_do_update(
        index_elements=[_CLAIM.amazon_order_id],
        set_={"claimed_by": statement.excluded.claimed_by, "expires_at": statement.excluded.expires_at},
        where=or_(_CLAIM.claimed_by == statement.excluded.claimed_by, _CLAIM.expires_at < now),
    ).returning(_CLAIM.amazon_order_id)


@cache
def _held_statement(dialect: str) -> Any:
    return select(_CLAIM.claimed_by).where(
        _CLAIM.amazon_order_id == bindparam("order_id"),
        _CLAIM.claimed_by != bindparam("claimant"),
        _CLAIM.expires_at >= database_now(dialect),
    )


async def claim_order(engine: AsyncEngine, order_id: str, claimant: str, ttl: float) -> bool:
    """Claim the order's fetch for ``ttl`` seconds; False while another claimant holds it (ours: renewed)."""
    async with engine.begin() as connection:
        row = await connection.execute(
            _claim_statement(engine.dialect.name), {"order_id": order_id, "claimant": claimant, "ttl": ttl}
        )
        return row.first() is not None


async def claimed_by_another(engine: AsyncEngine, order_id: str, claimant: str) -> bool:
    """Whether a live claim of another claimant is on the order."""
    async with read_only(engine) as connection:
        holder = await connection.scalar(
            _held_statement(engine.dialect.name), {"order_id": order_id, "claimant": claimant}
        )
    return holder is not None


async def release_order(connection: AsyncConnection, order_id: str, claimant: str) -> None:
    """Drop the claimant's claim, if it holds one (in the caller's transaction)."""
    await connection.execute(
        delete(ORDER_FETCH_CLAIMS).where(_CLAIM.amazon_order_id == order_id, _CLAIM.claimed_by == claimant)
    )


async def stored_order(engine: AsyncEngine, order_id: str) -> dict[str, Any] | None:
    """The order as getOrder returned it when it was last written (``orders.raw``), or None."""
    async with read_only(engine) as connection:
        raw = await connection.scalar(select(ORDERS.c.raw).where(ORDERS.c.amazon_order_id == order_id))
    return dict(raw) if isinstance(raw, dict) else None
