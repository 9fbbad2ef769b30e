"""The daemon's periodic sweep: started with the daemon, cancelled cleanly by its shutdown (the lease given
back, the run recorded as interrupted), and resumed by the next daemon at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.reconcile.result import COMPLETED, INTERRUPTED
from spapi.sandbox import SandboxServer, SandboxState
from store.engine import create_engine
from store.leases import lease_holder
from store.migrate import upgrade
from store.tables import RECONCILE_RUNS
from tests.fixtures.daemons import daemon_settings, running
from tests.fixtures.metrics import metric
from tests.fixtures.polling import eventually
from tests.fixtures.queues import Queues
from tests.fixtures.reconcile_world import (
    SEARCH_ORDERS,
    SELLER,
    put_truth,
    reconcile_environment,
    stored_orders,
)


async def runs(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(RECONCILE_RUNS).order_by(RECONCILE_RUNS.c.run_id))
        return [dict(row._mapping) for row in rows]


async def test_the_daemon_sweeps_in_the_background_and_a_shutdown_leaves_it_to_resume(
    queues: Queues, sandbox: SandboxServer, state: SandboxState, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'daemon.db'}"
    engine = create_engine(url)
    await upgrade(engine)
    values = {
        name.removeprefix("SPAPI_NOTIFY_").lower(): value
        for name, value in reconcile_environment(url, sandbox).items()
        if name != "SPAPI_NOTIFY_DATABASE_URL"
    }
    settings = daemon_settings(queues, url, **{**values, "plugins": "", "reconcile_interval": 900})
    truth = put_truth(state, SELLER, 4)
    try:
        state.set_delay(SEARCH_ORDERS, 3.0)  # the sweep's first page is still on its way at shutdown
        async with running(settings):

            async def asked() -> int:
                return state.calls[SEARCH_ORDERS]

            await eventually(asked, lambda n: n == 1, what="the daemon's sweep started")
        assert [run["outcome"] for run in await runs(engine)] == [INTERRUPTED]
        assert await lease_holder(engine, f"reconcile:na:{SELLER}") is None  # given back, not left to expire
        assert await stored_orders(engine) == {}

        state.set_delay(SEARCH_ORDERS, 0)
        async with running(settings) as daemon:

            async def finished() -> tuple[list[Any], float, float]:
                # The run's row is committed first, its metrics counted after: wait for both.
                outcomes = [run["outcome"] for run in await runs(engine)]
                missed = metric(daemon.metrics, "spapi_notify_reconcile_orders_missed_total", seller=SELLER)
                silent = metric(
                    daemon.metrics,
                    "spapi_notify_subscription_silent_total",
                    seller=SELLER,
                    type="ORDER_CHANGE",
                )
                return outcomes, missed, silent

            await eventually(finished, lambda seen: seen == ([INTERRUPTED, COMPLETED], 4, 1))
        assert (await runs(engine))[1]["resumed"]
        assert set(await stored_orders(engine)) == set(truth)
    finally:
        await engine.dispose()
