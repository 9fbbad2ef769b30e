"""Leases in the database: one holder at a time, expiring on the database's clock when the holder dies.

A holder takes a lease for ``ttl`` seconds (``acquire_lease``), keeps it by renewing it before it expires
(``renew_lease``, also inside the transaction of each piece of work it guards, so that work commits only
while the lease is still its own), and gives it back when done (``release_lease``). A crashed holder's lease
simply expires, and the next taker gets it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from store.clock import database_now
from store.engine import read_only
from store.tables.leases import LEASES
from store.upsert import insert_for_dialect

_LEASE = LEASES.c


@cache
def _acquire_statement(dialect: str) -> Any:
    now = database_now(dialect)
    statement = insert_for_dialect(dialect, LEASES).values(
        name=bindparam("lease"), holder=bindparam("owner"), expires_at=now + bindparam("ttl")
    )
    return statement.on_conflict_do_update(
        index_elements=[_LEASE.name],
        set_={"holder": statement.excluded.holder, "expires_at": statement.excluded.expires_at},
        where=(_LEASE.holder == statement.excluded.holder) | (_LEASE.expires_at < now),
    ).returning(_LEASE.name)


@cache
def _renew_statement(dialect: str) -> Any:
    return (
        update(LEASES)
        .where(
            _LEASE.name == bindparam("lease"),
            _LEASE.holder == bindparam("owner"),
            _LEASE.expires_at >= database_now(dialect),
        )
        .values(expires_at=database_now(dialect) + bindparam("ttl"))
    )


async def acquire_lease(engine: AsyncEngine, name: str, holder: str, ttl: float) -> bool:
    """Take the lease ``name`` for ``ttl`` seconds; False while another holder's lease is live (ours is
    renewed)."""
    async with engine.begin() as connection:
        row = await connection.execute(
            _acquire_statement(engine.dialect.name), {"lease": name, "owner": holder, "ttl": ttl}
        )
        return row.first() is not None


async def renew_lease(connection: AsyncConnection, name: str, holder: str, ttl: float) -> bool:
    """Extend the holder's live lease by ``ttl`` seconds from now, in the caller's transaction; False when
    it is no longer the holder's (it expired, and maybe another holder took it)."""
    result = await connection.execute(
        _renew_statement(connection.dialect.name), {"lease": name, "owner": holder, "ttl": ttl}
    )
    return bool(result.rowcount)


async def release_lease(engine: AsyncEngine, name: str, holder: str) -> None:
    """Give the lease back, if the holder still has it."""
    async with engine.begin() as connection:
        await connection.execute(delete(LEASES).where(_LEASE.name == name, _LEASE.holder == holder))


async def lease_holder(engine: AsyncEngine, name: str) -> str | None:
    """Who holds the live lease ``name``, or None."""
    async with read_only(engine) as connection:
        holder: str | None = await connection.scalar(
            select(_LEASE.holder).where(
                _LEASE.name == name, _LEASE.expires_at >= database_now(engine.dialect.name)
            )
        )
    return holder
