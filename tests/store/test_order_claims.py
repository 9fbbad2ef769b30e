"""Order fetch claims across OS processes, on PostgreSQL and SQLite: replicas racing through the same orders
write each one once, and one that loses a claim finds the order written when the claim goes."""

from __future__ import annotations

import json
import sys
from collections import Counter

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from store.order_claims import claim_order, claimed_by_another, release_order
from store.tables import ORDER_FETCH_CLAIMS
from tests.fixtures.lockstep import go_on, said, start_workers
from tests.fixtures.tables import orders, rows

WORKER = [sys.executable, "-m", "tests.fixtures.claim_worker"]
ORDERS = [f"903-{index:07d}-0000001" for index in range(30)]


@pytest.mark.slow
async def test_two_processes_racing_through_the_same_orders_write_each_once(
    database_url: str, engine: AsyncEngine
) -> None:
    # From both ends: they meet somewhere in the middle whichever is faster, and race for the orders there.
    workers = start_workers(
        [*WORKER, database_url, name, *order_ids]
        for name, order_ids in (("replica-a", ORDERS), ("replica-b", ORDERS[::-1]))
    )
    try:
        said(workers, "ready")
        # Each writes its own end's first order before either goes on: on a loaded machine one could otherwise
        # be through the whole list before the other was scheduled, and there would be no race to test.
        go_on(workers)
        said(workers, "first")
        go_on(workers)
        outcomes = []
        for worker in workers:
            out, _ = worker.communicate(timeout=60)
            assert worker.returncode == 0
            outcomes.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    for order_id in ORDERS:
        mine, theirs = outcomes[0][order_id], outcomes[1][order_id]
        # One writes it; the other waited for that write or found it written: never both, never neither.
        assert sorted([mine, theirs]) in (["waited", "wrote"], ["found", "wrote"]), order_id
    # Both wrote some: each its own end's first order at least, before they went on together.
    assert all(Counter(each.values())["wrote"] > 0 for each in outcomes)
    assert set(await orders(engine)) == set(ORDERS)
    assert await rows(engine, ORDER_FETCH_CLAIMS) == []  # every claim went with its write


async def test_a_claim_is_one_claimants_until_released_or_expired(engine: AsyncEngine) -> None:
    order_id = ORDERS[0]
    assert await claim_order(engine, order_id, "a", ttl=60)
    assert await claim_order(engine, order_id, "a", ttl=60)  # renewed by its holder
    assert not await claim_order(engine, order_id, "b", ttl=60)
    assert await claimed_by_another(engine, order_id, "b")
    assert not await claimed_by_another(engine, order_id, "a")
    async with engine.begin() as connection:
        await release_order(connection, order_id, "b")  # not b's: nothing happens
    assert await claimed_by_another(engine, order_id, "b")
    async with engine.begin() as connection:
        await release_order(connection, order_id, "a")
    assert not await claimed_by_another(engine, order_id, "b")
    assert await claim_order(engine, order_id, "b", ttl=-1)  # expired as soon as taken (a crashed holder)
    assert await claim_order(engine, order_id, "a", ttl=60)
