"""``spapi-notify changes``: JSON lines in commit order, resumable from their cursor, followed by a process.

The follower runs as its own process (``--follow``) on PostgreSQL while this one writes: it is woken by
LISTEN/NOTIFY (its safety-net poll is far longer than the deadline here).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.changes.follower import SAFETY_SECONDS
from store.engine import create_engine
from store.migrate import upgrade
from store.outputs.listings import upsert_listing
from store.outputs.orders import upsert_order
from tests.fixtures.cli import invoke, json_lines

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
DEADLINE = 10.0
assert SAFETY_SECONDS > 2 * DEADLINE  # a follower that wakes in time on PostgreSQL was notified


def order(order_id: str) -> dict[str, Any]:
    return {
        "amazon_order_id": order_id,
        "seller_id": "A3TH9S8BH6GOGM",
        "marketplace_id": "ATVPDKIKX0DER",
        "order_status": "UNSHIPPED",
        "purchase_date": T0,
        "last_updated_time": T0,
        "fulfillment_channel": "MERCHANT",
        "order_total_amount": None,
        "order_total_currency": None,
        "last_event_time": T0,
        "raw": {"orderId": order_id},
        "updated_at": T0,
    }


async def write_order(engine: AsyncEngine, order_id: str, notification_id: str | None = None) -> None:
    async with engine.begin() as connection:
        await upsert_order(connection, order(order_id), [], notification_id=notification_id)


async def write_listing(engine: AsyncEngine, sku: str) -> None:
    row: dict[str, Any] = {
        "seller_id": "A3AYAZLIQ7AX77",
        "sku": sku,
        "marketplace_id": "ATVPDKIKX0DER",
        "asin": None,
        "statuses": ["BUYABLE"],
        "issues": None,
        "last_event_time": T0,
        "raw": {},
        "updated_at": T0,
    }
    async with engine.begin() as connection:
        await upsert_listing(connection, row)


@pytest.fixture
def env(database_url: str, engine: AsyncEngine) -> dict[str, str]:
    return {"SPAPI_NOTIFY_DATABASE_URL": database_url}


async def changes(env: dict[str, str], *args: str) -> tuple[int, list[dict[str, Any]], str]:
    result = await invoke("changes", *args, env=env)
    return result.exit_code, json_lines(result.stdout), result.output


async def test_lines_resume_from_their_cursor_and_filter_by_table(
    env: dict[str, str], engine: AsyncEngine
) -> None:
    await write_order(engine, "A-1", "n-1")
    await write_listing(engine, "SKU-1")
    await write_order(engine, "A-1", "n-2")  # same version, no newer EventTime: the guard keeps the row
    await write_order(engine, "A-2")

    code, lines, _ = await changes(env, "--since", "0")
    assert code == 0
    assert lines == [
        {
            "cursor": "1",
            "table": "orders",
            "key": {"amazon_order_id": "A-1"},
            "operation": "insert",
            "notification_id": "n-1",
            "recorded_at": lines[0]["recorded_at"],
        },
        {
            "cursor": "2",
            "table": "listings_items",
            "key": {"seller_id": "A3AYAZLIQ7AX77", "sku": "SKU-1", "marketplace_id": "ATVPDKIKX0DER"},
            "operation": "insert",
            "notification_id": None,
            "recorded_at": lines[1]["recorded_at"],
        },
        {
            "cursor": "3",
            "table": "orders",
            "key": {"amazon_order_id": "A-2"},
            "operation": "insert",
            "notification_id": None,
            "recorded_at": lines[2]["recorded_at"],
        },
    ]
    assert datetime.fromisoformat(lines[0]["recorded_at"]).tzinfo is not None
    assert list(lines[1]["key"]) == ["seller_id", "sku", "marketplace_id"]  # the primary key's order

    code, resumed, _ = await changes(env, "--since", "1")
    assert (code, [line["cursor"] for line in resumed]) == (0, ["2", "3"])
    code, orders, _ = await changes(env, "--since", "0", "--table", "orders")
    assert (code, [line["cursor"] for line in orders]) == (0, ["1", "3"])
    code, limited, _ = await changes(env, "--since", "0", "--limit", "2")
    assert (code, [line["cursor"] for line in limited]) == (0, ["1", "2"])
    code, head, _ = await changes(env, "--head")
    assert (code, head) == (0, [{"cursor": "3"}])
    code, nothing, _ = await changes(env, "--since", "now")
    assert (code, nothing) == (0, [])


REFUSED = [
    (("--since", "9"), 3, "cursor 9 is ahead of this database's change feed"),
    (("--since", "-1"), 2, "invalid cursor '-1'"),
    (("--since", "abc"), 2, "invalid cursor 'abc'"),
    (("--since", "0", "--table", "sellers"), 2, "--table 'sellers': the change feed covers orders"),
    ((), 2, "give --since CURSOR"),
]


async def test_unusable_arguments_are_refused_with_the_reason(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        await upgrade(engine)
        await write_order(engine, "A-1")
    finally:
        await engine.dispose()

    for args, code, message in REFUSED:
        result = await invoke("changes", *args, env={"SPAPI_NOTIFY_DATABASE_URL": sqlite_url})
        assert (result.exit_code, args) == (code, args)
        assert message in result.output


async def lines_of(process: asyncio.subprocess.Process) -> AsyncIterator[dict[str, Any]]:
    assert process.stdout is not None
    while True:
        line = await asyncio.wait_for(process.stdout.readline(), DEADLINE)
        assert line, "the follower exited"
        yield json.loads(line)


@pytest.fixture
async def postgres_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    created = create_engine(postgres_url)
    await upgrade(created)
    try:
        yield created
    finally:
        await created.dispose()


async def test_a_follower_process_is_woken_by_each_commit_and_gets_it_once_in_order(
    postgres_url: str, postgres_engine: AsyncEngine
) -> None:
    """PostgreSQL, LISTEN/NOTIFY (SQLite's polling follower is tested in tests/store/test_change_feed.py)."""
    engine = postgres_engine
    await write_order(engine, "A-OLD")  # change 1, before the cursor the follower resumes from
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "consumer", "changes", "--since", "1", "--follow"),
        env={**os.environ, "SPAPI_NOTIFY_DATABASE_URL": postgres_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        received = lines_of(process)
        # Written while the follower may still be starting: its first read finds it either way.
        await write_order(engine, "A-1", "n-1")
        first = await anext(received)
        # Written while it waits: on PostgreSQL only a notification wakes it within the deadline.
        await write_order(engine, "A-2", "n-2")
        second = await anext(received)
        await write_order(engine, "A-3", "n-3")
        await write_order(engine, "A-3", "n-3-again")  # the guard keeps the row: no change
        await write_order(engine, "A-4", "n-4")
        rest = [await anext(received), await anext(received)]
    finally:
        process.terminate()
        await process.wait()
    assert [(line["cursor"], line["notification_id"]) for line in [first, second, *rest]] == [
        ("2", "n-1"),
        ("3", "n-2"),
        ("4", "n-3"),
        ("5", "n-4"),
    ]
