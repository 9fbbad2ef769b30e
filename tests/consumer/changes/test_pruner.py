"""The daemon's pruning of the change feed: old changes go at once and then periodically; 0 keeps them all."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.changes.pruner import pruning
from store.outputs.orders import upsert_order
from store.tables import CHANGES
from tests.fixtures.polling import eventually

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def order(order_id: str) -> dict[str, Any]:
    return {
        "amazon_order_id": order_id,
        "seller_id": "A3TH9S8BH6GOGM",
        "marketplace_id": None,
        "order_status": "UNSHIPPED",
        "purchase_date": T0,
        "last_updated_time": T0,
        "fulfillment_channel": None,
        "order_total_amount": None,
        "order_total_currency": None,
        "last_event_time": T0,
        "raw": {},
        "updated_at": T0,
    }


async def count(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(CHANGES)) or 0)


async def test_old_changes_are_pruned_in_the_background_and_counted(engine: AsyncEngine) -> None:
    for index in range(4):
        async with engine.begin() as connection:
            await upsert_order(connection, order(f"A-{index}"), [])
    async with engine.begin() as connection:
        await connection.execute(
            update(CHANGES).where(CHANGES.c.change_id <= 3).values(recorded_at=T0 - timedelta(days=30))
        )
    registry = CollectorRegistry()
    pruned = Counter("pruned", "changes pruned", registry=registry)

    async with pruning(engine, None, pruned):  # retention 0: kept forever
        await asyncio.sleep(0)
    assert await count(engine) == 4

    async with pruning(engine, timedelta(days=7), pruned):
        await eventually(lambda: count(engine), lambda found: found == 1, what="pruned")
    assert registry.get_sample_value("pruned_total") == 3
