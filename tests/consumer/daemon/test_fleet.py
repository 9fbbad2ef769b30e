"""Three ``spapi-notify run`` processes on one queue and one PostgreSQL database, the sandbox enforcing
getOrder's plan at ten times its rate: together they stay inside it, store every order in its final state,
settle each notification once and fetch each order once.

PostgreSQL only: three daemons starting take most of the suite's share of time for this test. The claims
that keep a fleet to one fetch per order are tested across OS processes on both backends in
tests/store/test_order_claims.py, the shared budget in tests/store/test_rate_budget.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from spapi.sandbox import SandboxServer, SandboxState
from spapi.sandbox.catalog import GET_ORDER, example_order, put_order
from tests.builders import example, notification_id_of, set_ids
from tests.fixtures.fleet import fleet
from tests.fixtures.handler_world import CLIENT_ID, CLIENT_SECRET, SHORTCUT_SELLER, SHORTCUT_TOKEN
from tests.fixtures.polling import eventually
from tests.fixtures.queues import SESSION, create_queues
from tests.fixtures.tables import ledger, orders

REPLICAS = 3
BURSTS = 3  # orders changed several times in a row
PER_BURST = 6
DISTINCT = 32  # orders changed once: with the bursts, more orders than getOrder's burst of 30
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def change(order_id: str, event_time: datetime) -> dict[str, Any]:
    notification = set_ids(example("OrderChangeNotification.json"))
    notification["Payload"]["OrderChangeNotification"]["AmazonOrderId"] = order_id
    notification["EventTime"] = _iso(event_time)
    return notification


def workload(state: SandboxState) -> tuple[list[dict[str, Any]], dict[str, datetime]]:
    """The notifications, each order's bursts interleaved with the others, and each order's final version.

    Every change is made in the sandbox before any notification is sent (the order at Amazon is already in
    its final state), so one getOrder per order reflects all of its notifications.
    """
    final: dict[str, datetime] = {}
    rounds: list[list[dict[str, Any]]] = [[] for _ in range(PER_BURST)]
    for index in range(BURSTS):
        order_id = f"901-{index:07d}-0000001"
        for n in range(PER_BURST):
            rounds[n].append(change(order_id, START + timedelta(seconds=n)))
        final[order_id] = START + timedelta(seconds=PER_BURST - 1)
    for index in range(DISTINCT):
        order_id = f"902-{index:07d}-0000001"
        rounds[index % PER_BURST].append(change(order_id, START))
        final[order_id] = START
    for order_id, version in final.items():
        put_order(
            state, example_order(order_id, last_updated_time=_iso(version), fulfillment_status="SHIPPED")
        )
    return [body for each in rounds for body in each], final


async def send_batches(queue_url: str, notifications: list[dict[str, Any]]) -> None:
    async with SESSION.client("sqs") as sqs:
        for start in range(0, len(notifications), 10):
            entries: list[Any] = [
                {"Id": str(i), "MessageBody": json.dumps(body)}
                for i, body in enumerate(notifications[start : start + 10])
            ]
            await sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_replicas_share_the_budget_and_fetch_each_order_once(
    moto_server: str, database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    state = SandboxState(clients={CLIENT_ID: CLIENT_SECRET}, sellers={SHORTCUT_TOKEN: SHORTCUT_SELLER})
    # getOrder's documented burst, at ten times its rate (0.5/s): the replicas learn it from the header.
    state.set_rate_limit(GET_ORDER, rate=5.0, burst=30)
    queues = await create_queues()
    notifications, final = workload(state)
    with SandboxServer(state) as sandbox:
        async with fleet(
            REPLICAS,
            moto_server,
            sandbox,
            tmp_path,
            queue_url=queues.url,
            database_url=database_url,
            lwa_client_id=CLIENT_ID,
            lwa_client_secret=CLIENT_SECRET,
            seller_id=SHORTCUT_SELLER,
            refresh_token=SHORTCUT_TOKEN,
            order_coalesce_seconds="0.3",
        ):
            await send_batches(queues.url, notifications)
            settled = await eventually(
                lambda: ledger(engine), lambda rows: len(rows) == len(notifications), what="all settled"
            )
    assert state.throttled[GET_ORDER] == 0
    assert settled == {notification_id_of(n): "processed" for n in notifications}
    stored = await orders(engine)
    assert {order_id: row["last_updated_time"] for order_id, row in stored.items()} == final
    assert {row["order_status"] for row in stored.values()} == {"SHIPPED"}
    # No allowance: Amazon's order was final before the first notification went out, so a second call for
    # any order would be a fetch the claims or the coalescing should have saved.
    assert state.calls[GET_ORDER] == len(final)
