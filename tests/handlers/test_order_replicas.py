"""Two replicas' ORDER_CHANGE handlers on one database: the fetch claim costs one getOrder per change.

In one process, for exact timing (tests/consumer/daemon/test_fleet.py runs the same across OS processes).
Each handler is a replica of its own: its own name, coalescer and client, sharing the database's budget.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.app.configs import order_change_config, seller_directory, shared_client
from consumer.settings import Settings
from handlers.context import HandlerContext
from handlers.order_change import OrderChangeHandler
from spapi.notifications import parse_notification
from spapi.sandbox import SandboxServer, SandboxState
from spapi.sandbox.catalog import GET_ORDER, example_order, put_order
from store.tables import ORDER_FETCH_CLAIMS
from tests.builders import example, set_ids
from tests.fixtures.handler_world import CLIENT_ID, CLIENT_SECRET, SHORTCUT_SELLER, SHORTCUT_TOKEN
from tests.fixtures.tables import orders, rows

ORDER_ID = "555-0000001-0000001"


def change(event_time: str) -> dict[str, Any]:
    notification = set_ids(example("OrderChangeNotification.json"))
    notification["Payload"]["OrderChangeNotification"]["AmazonOrderId"] = ORDER_ID
    notification["EventTime"] = event_time
    return notification


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.fixture
def replica_settings(database_url: str, sandbox: SandboxServer) -> Settings:
    return Settings(
        database_url=database_url,
        lwa_client_id=CLIENT_ID,
        lwa_client_secret=CLIENT_SECRET,
        endpoint=sandbox.url,
        lwa_endpoint=sandbox.lwa_url,
        seller_id=SHORTCUT_SELLER,
        refresh_token=SHORTCUT_TOKEN,
        order_coalesce_seconds=0,
    )


@pytest.fixture
async def replicas(
    replica_settings: Settings, engine: AsyncEngine
) -> AsyncIterator[tuple[OrderChangeHandler, OrderChangeHandler]]:
    clients = [shared_client(replica_settings, engine) for _ in range(2)]
    handlers = tuple(
        OrderChangeHandler(
            HandlerContext(engine, seller_directory(replica_settings, engine), client),
            order_change_config(replica_settings),
        )
        for client in clients
    )
    try:
        yield handlers[0], handlers[1]
    finally:
        for client in clients:
            await client.aclose()


async def prepare_and_apply(handler: OrderChangeHandler, engine: AsyncEngine, body: dict[str, Any]) -> None:
    effect = await handler.prepare(parse_notification(body))
    assert effect.apply is not None
    async with engine.begin() as connection:
        await effect.apply(connection)


async def test_a_fetch_that_fires_after_another_replica_wrote_the_order_takes_it_from_the_table(
    replicas: tuple[OrderChangeHandler, OrderChangeHandler], state: SandboxState, engine: AsyncEngine
) -> None:
    first, second = replicas
    put_order(state, example_order(ORDER_ID, last_updated_time="2026-11-23T10:00:05Z"))
    # The second replica checked the table before the first one's write (the order was not there yet) and
    # waited out its coalescing window; meanwhile the first fetched the order (which already shows both
    # changes), wrote it and released its claim. The second's fetch then finds no claim to wait for.
    await prepare_and_apply(first, engine, change("2026-11-23T10:00:01Z"))
    assert state.calls[GET_ORDER] == 1
    fetched = await second.fetcher.get((SHORTCUT_SELLER, ORDER_ID), at("2026-11-23T10:00:05Z"))
    assert state.calls[GET_ORDER] == 1  # the stored order reflects this change: no second call
    assert not fetched.fresh
    assert fetched.version == at("2026-11-23T10:00:05Z")
    assert await rows(engine, ORDER_FETCH_CLAIMS) == []  # and no claim is left behind


async def test_a_change_the_stored_order_does_not_show_is_fetched(
    replicas: tuple[OrderChangeHandler, OrderChangeHandler], state: SandboxState, engine: AsyncEngine
) -> None:
    first, second = replicas
    put_order(state, example_order(ORDER_ID, last_updated_time="2026-11-23T10:00:01Z"))
    await prepare_and_apply(first, engine, change("2026-11-23T10:00:01Z"))
    put_order(state, example_order(ORDER_ID, last_updated_time="2026-11-23T10:00:09Z"))
    fetched = await second.fetcher.get((SHORTCUT_SELLER, ORDER_ID), at("2026-11-23T10:00:09Z"))
    assert state.calls[GET_ORDER] == 2
    assert fetched.fresh
    assert fetched.version == at("2026-11-23T10:00:09Z")
    await prepare_and_apply(second, engine, change("2026-11-23T10:00:09Z"))
    assert state.calls[GET_ORDER] == 2  # the write uses the coalescer's fetch
    assert (await orders(engine))[ORDER_ID]["last_updated_time"] == at("2026-11-23T10:00:09Z")
