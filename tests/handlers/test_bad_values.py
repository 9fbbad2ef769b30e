"""Values the database cannot store, and timestamps from the future, through the real loop with the real
handlers: dead-lettered as ``schema_violation`` naming the field, before any SP-API call, on both databases;
and no stored far-future EventTime can freeze a listing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.intake.dead_letter import ERROR, REASON
from consumer.settings import Settings
from spapi.sandbox import SandboxState
from spapi.sandbox.catalog import GET_LISTINGS_ITEM, GET_ORDER, example_listings_item, put_listing
from store.tables import LISTINGS_ITEMS
from tests.builders import example, iso, notification_id_of, set_ids
from tests.fixtures.daemons import running
from tests.fixtures.handler_world import LISTING_MARKETPLACE, LISTING_SELLER
from tests.fixtures.polling import eventually
from tests.fixtures.queues import Queues, dead_letters, queue_depth, send
from tests.fixtures.tables import ledger_rows, listings

SKU = "NLS-SHOES-03"


def order_change(notification_id: str | None = None, order_id: str | None = None) -> dict[str, Any]:
    notification = set_ids(example("OrderChangeNotification.json"), notification_id)
    if order_id is not None:
        notification["Payload"]["OrderChangeNotification"]["AmazonOrderId"] = order_id
    return notification


def status_change(event_time: str, statuses: list[str], sku: str = SKU) -> dict[str, Any]:
    notification = set_ids(example("ListingsItemStatusChangeNotification.json"))
    notification["Payload"].update({"Status": statuses, "Sku": sku, "SellerId": LISTING_SELLER})
    notification["EventTime"] = event_time
    return notification


def attribute(message: dict[str, Any], name: str) -> str:
    return str(message["MessageAttributes"][name]["StringValue"])


async def test_values_the_database_cannot_store_are_dead_lettered_before_any_call(
    settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues
) -> None:
    long_order_id = "9" * 5_000
    # (the field the error must name, the notification)
    bad = [
        ("NotificationMetadata.NotificationId", order_change(notification_id="n" * 300)),
        ("Payload.OrderChangeNotification.AmazonOrderId", order_change(order_id=long_order_id)),
        ("NotificationMetadata.NotificationId", order_change(notification_id="nul-\x00-inside")),
        ("Payload.OrderChangeNotification.AmazonOrderId", order_change(order_id="902-\x00-3")),
        ("Payload.Sku", status_change("2026-11-23T10:00:00Z", ["BUYABLE"], sku="S" * 201)),
        ("EventTime", status_change("2999-01-01T00:00:00Z", ["DELETED"])),
    ]
    await send(queues.url, *(notification for _, notification in bad))
    async with running(settings):
        dead = await eventually(dead_letters(queues), lambda found: len(found) == len(bad), what="DLQ")
        await eventually(lambda: queue_depth(queues.url), lambda depth: depth == (0, 0), what="queue empty")
    assert state.calls[GET_ORDER] == 0
    assert state.calls[GET_LISTINGS_ITEM] == 0
    assert {attribute(m, REASON) for m in dead} == {"schema_violation"}
    errors = {notification_id_of(json.loads(m["Body"])): attribute(m, ERROR) for m in dead}
    for field, notification in bad:
        assert field in errors[notification_id_of(notification)], (field, errors)
    for error in errors.values():
        assert long_order_id[:100] not in error  # the value is never echoed
        assert "\x00" not in error
    # The ledger holds a row for each notification whose id it can store, and none for the others.
    ledger = await ledger_rows(engine)
    assert {row["status"] for row in ledger.values()} == {"dead_lettered"}
    storable_ids = {notification_id_of(n) for _, n in bad} - {"n" * 300, "nul-\x00-inside"}
    assert set(ledger) == storable_ids
    assert await listings(engine) == {}


async def test_a_stored_far_future_event_time_does_not_freeze_a_listing(
    settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues
) -> None:
    """A row poisoned before this version (EventTime in 2999, applied then) takes newer real notifications."""
    put_listing(state, LISTING_SELLER, example_listings_item(SKU))
    now = datetime.now(UTC)
    first = status_change(iso(now - timedelta(minutes=10)), ["BUYABLE"])
    await send(queues.url, first)
    async with running(settings):
        await eventually(lambda: ledger_rows(engine), lambda rows: len(rows) == 1, what="first applied")
        async with engine.begin() as connection:
            await connection.execute(
                update(LISTINGS_ITEMS).values(
                    last_event_time=datetime(2999, 1, 1, tzinfo=UTC), updated_at=now - timedelta(minutes=9)
                )
            )
        later = status_change(iso(now - timedelta(minutes=1)), ["DELETED"])
        await send(queues.url, later)
        await eventually(lambda: ledger_rows(engine), lambda rows: len(rows) == 2, what="later settled")
    row = (await listings(engine))[LISTING_SELLER, SKU, LISTING_MARKETPLACE]
    assert row["statuses"] == ["DELETED"]
    assert row["last_event_time"] == datetime.fromisoformat(later["EventTime"].replace("Z", "+00:00"))
