"""Replicas sweeping as OS processes, on PostgreSQL and SQLite: two never sweep one seller at once, and a
sweep whose replica crashed resumes, on another, after its last committed page."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.app.reconcile import open_sweeper
from consumer.reconcile.result import BUSY, COMPLETED, INTERRUPTED, SweepResult
from consumer.settings import Settings
from spapi.sandbox import SandboxServer, SandboxState
from store.leases import lease_holder
from store.tables import RECONCILE_RUNS
from tests.fixtures.polling import eventually
from tests.fixtures.reconcile_world import (
    SEARCH_ORDERS,
    SELLER,
    put_truth,
    reconcile_environment,
    stored_orders,
)

WORKER = [sys.executable, "-m", "tests.fixtures.reconcile_worker", SELLER]
LEASE = "reconcile:na:" + SELLER


async def runs(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(RECONCILE_RUNS).order_by(RECONCILE_RUNS.c.run_id))
        return [dict(row._mapping) for row in rows]


@pytest.mark.slow
async def test_replicas_never_sweep_one_seller_at_once_and_a_crashed_sweep_resumes_after_its_last_page(
    settings: Settings,
    database_url: str,
    engine: AsyncEngine,
    sandbox: SandboxServer,
    state: SandboxState,
    tmp_path: Path,
) -> None:
    truth = put_truth(state, SELLER, 6)
    go = tmp_path / "go"
    env = {**os.environ, **reconcile_environment(database_url, sandbox)}
    # Two replicas, pages of 2 orders, a lease of 1 s; whichever sweeps dies after its first page.
    replicas = [
        subprocess.Popen(
            [
                *WORKER,
                "2",
                "1",
                "--ready",
                str(tmp_path / f"ready-{i}"),
                "--go",
                str(go),
                "--crash-after",
                "1",
            ],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]

    async def ready() -> int:
        return sum((tmp_path / f"ready-{i}").exists() for i in range(2))

    await eventually(ready, lambda n: n == 2, what="both replicas ready")
    go.touch()
    ended = await asyncio.gather(*(asyncio.to_thread(r.communicate, timeout=60) for r in replicas))
    codes = sorted(replica.returncode for replica in replicas)
    assert codes == [-signal.SIGKILL, 0]
    (other,) = [
        json.loads(out.splitlines()[-1])
        for (out, _), replica in zip(ended, replicas, strict=True)
        if replica.returncode == 0
    ]
    assert other["outcome"] == BUSY  # the one that did not sweep was turned away: never two at once
    assert len(await stored_orders(engine)) == 2  # the crashed replica's one committed page
    assert [run["outcome"] for run in await runs(engine)] == ["running"]  # nobody said otherwise

    async def sweep() -> SweepResult:
        async with open_sweeper(settings, overrides={"page_size": 2}) as sweeper:
            return await sweeper.sweep(SELLER)

    # The dead replica's lease holds the seller until it expires; then this replica takes over.
    result = await eventually(sweep, lambda r: r.outcome != BUSY, what="the crashed replica's lease expired")

    assert (result.outcome, result.resumed, result.counts.pages, result.counts.orders_seen) == (
        COMPLETED,
        True,
        2,
        4,
    )
    assert set(await stored_orders(engine)) == set(truth)
    requests = [r for r in state.requests if r.op_key == SEARCH_ORDERS]
    assert len(requests) == 3  # no page fetched twice
    assert "paginationToken" in requests[1].query  # resumed on the crashed replica's token
    assert [run["outcome"] for run in await runs(engine)] == [INTERRUPTED, COMPLETED]
    assert await lease_holder(engine, LEASE) is None
