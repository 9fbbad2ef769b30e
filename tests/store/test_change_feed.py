"""The change feed: every output write appends a change in its transaction, in commit order, never skipped.

The concurrent-commit test is the issue's: two transactions that commit in the opposite order of their
start, and a follower reading between the commits and after them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from consumer.changes.follower import Follower
from store import ledger
from store.changes.prune import prune_changes
from store.changes.read import Change, CursorError, check_cursor, read_changes
from store.engine import create_engine, read_only
from store.ledger import LedgerEntry
from store.migrate import upgrade
from store.outputs.listings import upsert_listing
from store.outputs.orders import upsert_order
from store.outputs.reports import upsert_report
from store.tables import CHANGES, LedgerStatus
from tests.fixtures.polling import eventually

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def order(order_id: str, version: datetime, status: str = "UNSHIPPED") -> dict[str, Any]:
    return {
        "amazon_order_id": order_id,
        "seller_id": "A3TH9S8BH6GOGM",
        "marketplace_id": "ATVPDKIKX0DER",
        "order_status": status,
        "purchase_date": T0,
        "last_updated_time": version,
        "fulfillment_channel": "MERCHANT",
        "order_total_amount": None,
        "order_total_currency": None,
        "last_event_time": version,
        "raw": {"orderId": order_id},
        "updated_at": T0,
    }


def listing(sku: str, event_time: datetime) -> dict[str, Any]:
    return {
        "seller_id": "A3AYAZLIQ7AX77",
        "sku": sku,
        "marketplace_id": "ATVPDKIKX0DER",
        "asin": "B000000001",
        "statuses": ["BUYABLE"],
        "issues": [],
        "last_event_time": event_time,
        "raw": {"sku": sku},
        "updated_at": T0,
    }


def entry(notification_id: str) -> LedgerEntry:
    return LedgerEntry(
        notification_id=notification_id,
        notification_type="ORDER_CHANGE",
        payload_version="1.0",
        selling_partner_id="A3TH9S8BH6GOGM",
        subscription_id=None,
        event_time=T0,
        publish_time=T0,
        received_at=T0,
        attempts=1,
        message_id=None,
        envelope="sqs",
    )


async def all_changes(engine: AsyncEngine, after: int = 0) -> list[Change]:
    async with read_only(engine) as connection:
        return await read_changes(connection, after, limit=10_000)


def summary(changes: list[Change]) -> list[tuple[int, str, dict[str, Any], str, str | None]]:
    return [(c.change_id, c.table, c.key, c.operation, c.notification_id) for c in changes]


async def test_writes_append_one_change_each_and_guarded_writes_append_none(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        assert await upsert_order(connection, order("A-1", T0), [], notification_id="n-1")
    async with engine.begin() as connection:
        assert await upsert_order(connection, order("A-1", T0 + timedelta(minutes=1), "SHIPPED"), [])
    async with engine.begin() as connection:
        # Older than what is stored: the guard keeps the row, and nothing is appended.
        assert not await upsert_order(connection, order("A-1", T0), [], notification_id="n-old")
        await upsert_listing(connection, listing("SKU-1", T0), notification_id="n-2")
        await upsert_listing(connection, listing("SKU-1", T0 - timedelta(days=1)), notification_id="n-3")
        await upsert_report(
            connection,
            {
                "report_id": "900001",
                "account_id": "amzn1.merchant.o.A3TH9S8BH6GOGM",
                "seller_id": "A3TH9S8BH6GOGM",
                "report_type": "GET_FLAT_FILE_ACTIONABLE_ORDER_DATA",
                "processing_status": "CANCELLED",
                "report_document_id": None,
                "location": None,
                "size_bytes": None,
                "sha256": None,
                "stored_at": None,
                "compression_algorithm": None,
                "data_start_time": None,
                "data_end_time": None,
            },
            notification_id="n-4",
        )

    listing_key = {"seller_id": "A3AYAZLIQ7AX77", "sku": "SKU-1", "marketplace_id": "ATVPDKIKX0DER"}
    report_key = {"report_id": "900001", "account_id": "amzn1.merchant.o.A3TH9S8BH6GOGM"}
    assert summary(await all_changes(engine)) == [
        (1, "orders", {"amazon_order_id": "A-1"}, "insert", "n-1"),
        (2, "orders", {"amazon_order_id": "A-1"}, "update", None),
        (3, "listings_items", listing_key, "insert", "n-2"),
        (4, "reports", report_key, "insert", "n-4"),
    ]


async def test_a_rolled_back_write_leaves_no_change_and_no_gap(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await upsert_order(connection, order("A-1", T0), [])
    async with engine.connect() as connection:
        await connection.begin()
        await upsert_order(connection, order("A-2", T0), [])
        await connection.rollback()
    async with engine.begin() as connection:
        await upsert_order(connection, order("A-3", T0), [])

    assert [(c.change_id, c.key["amazon_order_id"]) for c in await all_changes(engine)] == [
        (1, "A-1"),
        (2, "A-3"),
    ]


async def _claim(connection: AsyncConnection, notification_id: str) -> None:
    assert await ledger.claim(connection, entry(notification_id), LedgerStatus.PROCESSED, T0)


async def test_two_transactions_committing_in_the_opposite_order_of_their_start(engine: AsyncEngine) -> None:
    """The follower reads between the commits and after them: both changes, once each, in commit order."""
    follower = Follower(engine, poll_seconds=0.02)
    delivered: list[Change] = []

    async def read() -> list[Change]:
        cursor = delivered[-1].change_id if delivered else 0
        new = [
            change for batch in [b async for b in follower.follow(cursor, forever=False)] for change in batch
        ]
        delivered.extend(new)
        return new

    if engine.dialect.name == "postgresql":
        async with engine.connect() as first, engine.connect() as second:
            await first.begin()
            await _claim(first, "n-first")  # the first transaction starts (and has its transaction id)
            await second.begin()
            await _claim(second, "n-second")  # the second starts after it...
            await upsert_order(second, order("A-SECOND", T0), [], notification_id="n-second")
            await second.commit()  # ...and commits first
            assert [c.notification_id for c in await read()] == ["n-second"]
            await upsert_order(first, order("A-FIRST", T0), [], notification_id="n-first")
            await first.commit()
            assert [c.notification_id for c in await read()] == ["n-first"]
    else:
        # SQLite's write transactions are serial (BEGIN IMMEDIATE): the second cannot start until the first
        # has committed, so commit order is start order and the follower sees the same guarantee.
        async with engine.connect() as first:
            await first.begin()
            await _claim(first, "n-first")
            second_done = asyncio.Event()

            async def second_transaction() -> None:
                async with engine.begin() as second:
                    await _claim(second, "n-second")
                    await upsert_order(second, order("A-SECOND", T0), [], notification_id="n-second")
                second_done.set()

            task = asyncio.create_task(second_transaction())
            await upsert_order(first, order("A-FIRST", T0), [], notification_id="n-first")
            assert await read() == []  # nothing is committed yet
            assert not second_done.is_set()
            await first.commit()
        await task
        assert [c.notification_id for c in await read()] == ["n-first", "n-second"]

    assert await read() == []
    assert sorted(c.change_id for c in delivered) == [c.change_id for c in delivered] == [1, 2]
    assert len({c.notification_id for c in delivered}) == 2


async def test_a_writer_waits_for_the_feed_while_another_holds_it(postgres_url: str) -> None:
    """PostgreSQL: of two concurrent writers, the second numbers its change only after the first commits."""
    engine = create_engine(postgres_url)
    try:
        await upgrade(engine)
        follower = Follower(engine)
        async with engine.connect() as first:
            await first.begin()
            await upsert_order(first, order("A-FIRST", T0), [], notification_id="n-first")

            async def second_transaction() -> None:
                async with engine.begin() as second:
                    await upsert_order(second, order("A-SECOND", T0), [], notification_id="n-second")

            task = asyncio.create_task(second_transaction())

            async def waiting_for_a_lock() -> int:
                async with read_only(engine) as connection:
                    found = await connection.scalar(
                        text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                    )
                    return int(found or 0)

            await eventually(waiting_for_a_lock, lambda waiting: waiting == 1, what="the second writer waits")
            assert [b async for b in follower.follow(0, forever=False)] == []
            await first.commit()
        await task
        changes = [c async for batch in follower.follow(0, forever=False) for c in batch]
        assert [(c.change_id, c.notification_id) for c in changes] == [(1, "n-first"), (2, "n-second")]
    finally:
        await engine.dispose()


async def test_pruning_deletes_a_prefix_keeps_the_newest_and_expires_old_cursors(engine: AsyncEngine) -> None:
    for index in range(5):
        async with engine.begin() as connection:
            await upsert_order(connection, order(f"A-{index}", T0), [])
    async with engine.begin() as connection:
        # Changes 1-3 were recorded long ago; 4 and 5 just now.
        await connection.execute(
            update(CHANGES).where(CHANGES.c.change_id <= 3).values(recorded_at=T0 - timedelta(days=30))
        )
    assert await prune_changes(engine, datetime.now(UTC) - timedelta(days=7), batch=2) == 3
    assert [c.change_id for c in await all_changes(engine)] == [4, 5]

    async with read_only(engine) as connection:
        await check_cursor(connection, 3)  # the next change, 4, is kept
        await check_cursor(connection, 0)  # from the oldest kept
        with pytest.raises(CursorError, match="older than the oldest change kept"):
            await check_cursor(connection, 2)
        with pytest.raises(CursorError, match="ahead of this database's change feed"):
            await check_cursor(connection, 6)

    # Everything is old: the newest change stays, so the next id continues from it.
    assert await prune_changes(engine, datetime.now(UTC) + timedelta(days=1)) == 1
    async with engine.begin() as connection:
        await upsert_order(connection, order("A-NEXT", T0), [])
    async with read_only(engine) as connection:
        ids = list((await connection.execute(select(CHANGES.c.change_id).order_by("change_id"))).scalars())
    assert ids == [5, 6]
