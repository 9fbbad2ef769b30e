"""Holding a seller's sweep lease for as long as the sweep runs: taken at the start, renewed in the
background (a searchOrders slot can be minutes away), checked again in every page's transaction, and given
back at the end. A replica that crashes stops renewing; the lease expires and another replica resumes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from store.leases import acquire_lease, release_lease, renew_lease

log = structlog.get_logger("consumer.reconcile")


class LeaseLost(RuntimeError):
    """The sweep's lease expired under it (a database outage longer than the lease): another replica may be
    sweeping the seller now, so this one stops without committing."""


def sweep_lease_name(seller_id: str, region: str) -> str:
    """The lease of one seller's sweeps in one region."""
    return f"reconcile:{region}:{seller_id}"


class SweepLease:
    """A lease this replica holds (see the module docstring); ``fence`` is called in each page's
    transaction."""

    def __init__(self, engine: AsyncEngine, name: str, holder: str, ttl: float) -> None:
        self.engine, self.name, self.holder, self.ttl = engine, name, holder, ttl

    async def fence(self, connection: AsyncConnection) -> None:
        """Renew the lease in the caller's transaction; LeaseLost when it is no longer ours."""
        if not await renew_lease(connection, self.name, self.holder, self.ttl):
            raise LeaseLost(f"lease {self.name} expired under {self.holder}")

    async def keep_alive(self) -> None:
        """Renew the lease every third of its lifetime until cancelled, or until it is found lost."""
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                async with self.engine.begin() as connection:
                    if not await renew_lease(connection, self.name, self.holder, self.ttl):
                        log.warning("reconcile.lease_lost", lease=self.name)
                        return
            except Exception as exc:  # the database may be back before the lease runs out
                log.warning("reconcile.lease_renewal_failed", lease=self.name, error=type(exc).__name__)


@asynccontextmanager
async def hold_lease(
    engine: AsyncEngine, name: str, holder: str, ttl: float
) -> AsyncIterator[SweepLease | None]:
    """The lease for the length of the block, or None when another holder has it."""
    if not await acquire_lease(engine, name, holder, ttl):
        yield None
        return
    lease = SweepLease(engine, name, holder, ttl)
    keeper = asyncio.create_task(lease.keep_alive(), name=f"lease:{name}")
    try:
        yield lease
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        # Given back even when the sweep was cancelled (shutdown); should that fail, it expires.
        with contextlib.suppress(Exception):
            await asyncio.shield(release_lease(engine, name, holder))
