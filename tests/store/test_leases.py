"""Leases on the database's clock, on PostgreSQL and SQLite: one holder at a time, renewed only by it, and
free again when given back or expired."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from store.leases import acquire_lease, lease_holder, release_lease, renew_lease
from tests.fixtures.polling import eventually


async def test_one_holder_at_a_time_until_it_gives_the_lease_back_or_it_expires(engine: AsyncEngine) -> None:
    assert await acquire_lease(engine, "sweep:a", "replica-1", 60)
    assert not await acquire_lease(engine, "sweep:a", "replica-2", 60)
    assert await acquire_lease(engine, "sweep:a", "replica-1", 60)  # the holder renews
    assert await acquire_lease(engine, "sweep:b", "replica-2", 60)  # another lease is another matter
    assert await lease_holder(engine, "sweep:a") == "replica-1"
    async with engine.begin() as connection:
        assert await renew_lease(connection, "sweep:a", "replica-1", 0.2)
        assert not await renew_lease(connection, "sweep:a", "replica-2", 60)

    # replica-1 stops renewing (a crash): the lease expires and the next taker gets it.
    async def take() -> bool:
        return await acquire_lease(engine, "sweep:a", "replica-2", 60)

    await eventually(take, bool, deadline=10, what="the lease expired")
    async with engine.begin() as connection:
        assert not await renew_lease(connection, "sweep:a", "replica-1", 60)  # too late: no longer its own
    await release_lease(engine, "sweep:a", "replica-1")  # not the holder: nothing happens
    assert await lease_holder(engine, "sweep:a") == "replica-2"
    await release_lease(engine, "sweep:a", "replica-2")
    assert await lease_holder(engine, "sweep:a") is None
    assert await acquire_lease(engine, "sweep:a", "replica-3", 60)
