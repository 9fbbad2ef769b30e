"""One seller's sweep against the sandbox's stateful, paginated searchOrders (its usage plan enforced), on
PostgreSQL and SQLite: missed orders found and written, newer rows kept, an expired page token survived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.app.reconcile import open_sweeper
from consumer.ops.metrics import Metrics
from consumer.reconcile.result import COMPLETED, FAILED, SweepResult
from consumer.settings import Settings
from spapi.sandbox import SandboxState
from store.reconcile import RunCounts, load_state
from store.tables import RECONCILE_RUNS
from tests.fixtures.clock import FakeClock
from tests.fixtures.metrics import metric
from tests.fixtures.reconcile_world import (
    OTHER_SELLER,
    SEARCH_ORDERS,
    SELLER,
    amazon_order,
    put_truth,
    store_as_notified,
    stored_orders,
    version,
)


async def sweep(settings: Settings, metrics: Metrics | None = None, **overrides: Any) -> SweepResult:
    async with open_sweeper(settings, metrics=metrics, overrides=overrides) as sweeper:
        return await sweeper.sweep(SELLER)


async def runs(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(RECONCILE_RUNS).order_by(RECONCILE_RUNS.c.run_id))
        return [dict(row._mapping) for row in rows]


def searches(state: SandboxState) -> list[tuple[int | None, dict[str, list[str]]]]:
    return [(r.status, dict(r.query)) for r in state.requests if r.op_key == SEARCH_ORDERS]


async def test_orders_changed_with_no_notification_are_found_and_written(
    settings: Settings, engine: AsyncEngine, state: SandboxState
) -> None:
    truth = put_truth(state, SELLER, 25)
    put_truth(state, OTHER_SELLER, 5, prefix="999")
    ids = sorted(truth)
    for order_id in ids[:10]:  # their notifications arrived
        await store_as_notified(engine, truth[order_id])
    for order_id in ids[10:15]:  # an earlier change arrived, the last one did not
        older = amazon_order(order_id, version(truth[order_id]) - timedelta(minutes=10), "UNSHIPPED")
        await store_as_notified(engine, older)
    metrics = Metrics()

    result = await sweep(settings, metrics, page_size=10, write_chunk=4)  # a page in several transactions

    assert result.outcome == COMPLETED
    assert result.counts == RunCounts(pages=3, orders_seen=25, orders_changed=25, orders_missed=15)
    stored = await stored_orders(engine)
    assert set(stored) == set(truth)  # and none of the other seller's
    assert all(stored[i][:2] == (version(truth[i]), "SHIPPED") for i in ids)
    assert all(stored[i][2] is None for i in ids[15:])  # written by the sweep: no notification's EventTime
    calls = searches(state)
    assert [status for status, _ in calls] == [200, 200, 200]  # the fewest pages, no 429
    first, second = calls[0][1], calls[1][1]
    assert "paginationToken" not in first
    assert second["paginationToken"]
    assert second["lastUpdatedAfter"] == first["lastUpdatedAfter"]  # a token goes with its search
    assert first["includedData"] == ["PROCEEDS,EXPENSE,PROMOTION,CANCELLATION,FULFILLMENT,PACKAGES"]
    assert metric(metrics, "spapi_notify_reconcile_orders_missed_total", seller=SELLER) == 15
    assert result.silent  # no ORDER_CHANGE of the seller ever arrived
    assert metric(metrics, "spapi_notify_subscription_silent_total", seller=SELLER, type="ORDER_CHANGE") == 1
    reconciled = await load_state(engine, SELLER, "na")
    assert reconciled is not None
    assert result.window is not None
    assert (reconciled.high_water_mark, reconciled.window) == (result.window.before, None)
    lag = metric(metrics, "spapi_notify_reconcile_lag_seconds", seller=SELLER)
    assert settings.reconcile_grace <= lag < settings.reconcile_grace + 30
    (run,) = await runs(engine)
    assert (run["outcome"], run["pages"], run["orders_seen"], run["orders_missed"]) == (COMPLETED, 3, 25, 15)
    # The first window looked back a day; the next starts at the mark, less the overlap.
    assert datetime.now(UTC) - result.window.after > timedelta(hours=23)
    again = await sweep(settings, metrics)
    assert again.window is not None
    assert again.window.after == result.window.before - timedelta(seconds=settings.reconcile_overlap)
    assert (again.counts.orders_missed, again.silent) == (0, False)


async def test_an_older_search_result_never_overwrites_a_newer_notification_row(
    settings: Settings, engine: AsyncEngine, state: SandboxState
) -> None:
    truth = put_truth(state, SELLER, 2)
    lagging, same = sorted(truth)
    # Amazon's search index lags: a notification already brought a newer version of one order...
    newer = amazon_order(lagging, version(truth[lagging]) + timedelta(minutes=5), "CANCELLED")
    await store_as_notified(engine, newer)
    # ...and exactly the searched version of the other, through a notification with a later EventTime.
    noticed = version(truth[same]) + timedelta(seconds=30)
    await store_as_notified(engine, truth[same], event_time=noticed)

    result = await sweep(settings)

    assert (result.outcome, result.counts.orders_seen, result.counts.orders_missed) == (COMPLETED, 2, 0)
    stored = await stored_orders(engine)
    assert stored[lagging] == (version(newer), "CANCELLED", version(newer))
    assert stored[same] == (version(truth[same]), "SHIPPED", noticed)


async def test_an_expired_page_token_restarts_the_window(
    settings: Settings, engine: AsyncEngine, state: SandboxState, clock: FakeClock
) -> None:
    truth = put_truth(state, SELLER, 6)

    class Outage:
        """After the first page, searchOrders fails (503) beyond the client's retries."""

        def page(self, seller_id: str, counts: RunCounts) -> None:
            state.inject(SEARCH_ORDERS, 503, times=2)

        def seller_done(self, result: SweepResult) -> None:
            pass

    async with open_sweeper(settings, overrides={"page_size": 2}) as sweeper:
        stopped = await sweeper.sweep(SELLER, progress=Outage())
    assert (stopped.outcome, stopped.counts.pages) == (FAILED, 1)
    assert "503" in (stopped.error or "")
    kept = await load_state(engine, SELLER, "na")
    assert kept is not None
    assert kept.next_token is not None  # the page after the committed one
    assert len(await stored_orders(engine)) == 2

    clock.advance(24 * 3600 + 1)  # Amazon's tokens last 24 hours
    resumed = await sweep(settings, page_size=2)

    assert (resumed.outcome, resumed.resumed, resumed.counts.restarts) == (COMPLETED, True, 1)
    assert resumed.window == stopped.window
    assert resumed.counts.pages == 3  # the whole window again: its first page's token is gone too
    stored = await stored_orders(engine)
    assert {i: row[0] for i, row in stored.items()} == {i: version(o) for i, o in truth.items()}
    statuses = [(status, "paginationToken" in query) for status, query in searches(state)]
    # Page 1; page 2 failing twice (503); resumed with the old token: 400; the window again from page 1.
    assert statuses == [
        (200, False),
        (503, True),
        (503, True),
        (400, True),
        (200, False),
        (200, True),
        (200, True),
    ]
    assert [run["outcome"] for run in await runs(engine)] == [FAILED, COMPLETED]
