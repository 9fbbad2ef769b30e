"""LISTINGS_ITEM_STATUS_CHANGE through the real loop: the official sample, raw and via EventBridge, on both
databases, getListingsItem answered by the sandbox; DELETED as a state (and a 404), ordering, dead letters."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.intake.dead_letter import REASON
from consumer.settings import Settings
from spapi.sandbox import SandboxState
from spapi.sandbox.catalog import GET_LISTINGS_ITEM, example_listings_item, put_listing
from tests.builders import eventbridge_event, example, example_count, notification_id_of, set_ids
from tests.fixtures.daemons import running
from tests.fixtures.handler_world import LISTING_MARKETPLACE, LISTING_SELLER
from tests.fixtures.polling import eventually
from tests.fixtures.queues import Queues, dead_letters, send
from tests.fixtures.tables import ledger_rows, listings

SCHEMA = "ListingsItemStatusChangeNotification.json"
SKU = "NLS-SHOES-03"  # the sample's


def status_change(
    statuses: list[str], event_time: str, sku: str = SKU, seller_id: str = LISTING_SELLER
) -> dict[str, Any]:
    notification = set_ids(example(SCHEMA))
    notification["Payload"].update({"Status": statuses, "Sku": sku, "SellerId": seller_id})
    notification["EventTime"] = event_time
    return notification


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


async def settled(engine: AsyncEngine, ids: set[str]) -> dict[str, dict[str, Any]]:
    return await eventually(
        lambda: ledger_rows(engine), lambda rows: ids <= set(rows), what=f"{len(ids)} notifications settled"
    )


def seed(state: SandboxState, sku: str = SKU) -> None:
    put_listing(state, LISTING_SELLER, example_listings_item(sku))


@pytest.mark.parametrize("index", range(example_count(SCHEMA)))
async def test_official_sample_raw_and_via_eventbridge(
    index: int, settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues
) -> None:
    raw = set_ids(example(SCHEMA, index))
    bridged = eventbridge_event(set_ids(copy.deepcopy(raw)), detail_as_string=True)
    seed(state, raw["Payload"]["Sku"])
    await send(queues.url, raw, bridged)
    async with running(settings):
        ledger = await eventually(lambda: ledger_rows(engine), lambda rows: len(rows) == 2, what="settled")
    assert notification_id_of(raw) in ledger
    assert {row["status"] for row in ledger.values()} == {"processed"}
    assert {row["envelope"] for row in ledger.values()} == {"sqs", "eventbridge"}
    payload = raw["Payload"]
    row = (await listings(engine))[payload["SellerId"], payload["Sku"], payload["MarketplaceId"]]
    assert row["statuses"] == sorted(payload["Status"])
    assert row["asin"] == payload["Asin"]
    assert row["last_event_time"] == at(raw["EventTime"])
    assert row["raw"]["sku"] == payload["Sku"]
    # Only this marketplace's issues (the example has issues for two marketplaces).
    assert row["issues"]
    assert all(LISTING_MARKETPLACE in issue["marketplaceIds"] for issue in row["issues"])
    assert [s["marketplaceId"] for s in row["raw"]["summaries"]] == [LISTING_MARKETPLACE]
    assert state.calls[GET_LISTINGS_ITEM] == 2
    request = next(r for r in state.requests if r.op_key == GET_LISTINGS_ITEM)
    assert request.selling_partner_id == LISTING_SELLER  # the sellers table's credentials
    assert set(request.query["includedData"][0].split(",")) == {
        "summaries",
        "issues",
        "offers",
        "fulfillmentAvailability",
    }


async def test_deleted_is_a_state_even_when_get_listings_item_answers_404(
    settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues
) -> None:
    listed = status_change(["BUYABLE", "DISCOVERABLE"], "2026-11-23T10:00:00Z")
    deleted = status_change(["DELETED"], "2026-11-23T10:05:00Z")
    seed(state)
    await send(queues.url, listed)
    async with running(settings):
        await settled(engine, {notification_id_of(listed)})
        put_listing(state, LISTING_SELLER, None, sku=SKU)
        await send(queues.url, deleted)
        ledger = await settled(engine, {notification_id_of(deleted)})
    assert ledger[notification_id_of(deleted)]["status"] == "processed"
    row = (await listings(engine))[LISTING_SELLER, SKU, LISTING_MARKETPLACE]
    assert row["statuses"] == ["DELETED"]
    assert row["last_event_time"] == at("2026-11-23T10:05:00Z")
    # What was known before the deletion stays on the row.
    assert row["asin"] == "BT6RZ7JM4H"
    assert row["raw"]["sku"] == SKU
    assert [r.status for r in state.requests if r.op_key == GET_LISTINGS_ITEM] == [200, 404]


async def test_an_older_notification_never_overwrites_a_newer_one(
    settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues
) -> None:
    newer = status_change(["DELETED"], "2026-11-23T10:05:00Z")
    older = status_change(["BUYABLE", "DISCOVERABLE"], "2026-11-23T10:00:00Z")
    put_listing(state, LISTING_SELLER, None, sku=SKU)
    await send(queues.url, newer)
    async with running(settings):
        await settled(engine, {notification_id_of(newer)})
        await send(queues.url, older, older)
        ledger = await settled(engine, {notification_id_of(older)})
    assert ledger[notification_id_of(older)]["status"] == "processed"
    row = (await listings(engine))[LISTING_SELLER, SKU, LISTING_MARKETPLACE]
    assert row["statuses"] == ["DELETED"]
    assert row["last_event_time"] == at("2026-11-23T10:05:00Z")
    assert len(await ledger_rows(engine)) == 2
    assert state.calls[GET_LISTINGS_ITEM] == 1  # the stale one is settled without a call


async def test_a_404_for_a_listing_that_is_not_deleted_is_retried(
    settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues
) -> None:
    fresh = status_change(["DISCOVERABLE"], "2026-11-23T10:00:00Z", sku="FRESH-1")
    put_listing(state, LISTING_SELLER, None, sku="FRESH-1")
    await send(queues.url, fresh)
    async with running(settings):
        await eventually(
            lambda: _statuses(state), lambda statuses: statuses[:1] == [404], what="first attempt got a 404"
        )
        seed(state, "FRESH-1")
        await settled(engine, {notification_id_of(fresh)})
    row = (await listings(engine))[LISTING_SELLER, "FRESH-1", LISTING_MARKETPLACE]
    assert row["statuses"] == ["DISCOVERABLE"]
    assert row["asin"] == "BT6RZ7JM4H"


async def _statuses(state: SandboxState) -> list[int | None]:
    return [r.status for r in state.requests if r.op_key == GET_LISTINGS_ITEM]


async def test_unknown_seller_and_foreign_application_are_dead_lettered(
    settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues
) -> None:
    stranger = status_change(["BUYABLE"], "2026-11-23T10:00:00Z", seller_id="A0UNKNOWNSELLER")
    foreign = set_ids(example(SCHEMA), application_id="amzn1.sellerapps.app.other")
    await send(queues.url, stranger, eventbridge_event(foreign))
    async with running(settings):
        dead = await eventually(dead_letters(queues), lambda found: len(found) == 2, what="DLQ")
        ledger = await settled(engine, {notification_id_of(stranger), notification_id_of(foreign)})
    assert {m["MessageAttributes"][REASON]["StringValue"] for m in dead} == {
        "unknown_seller",
        "foreign_application",
    }
    assert {row["status"] for row in ledger.values()} == {"dead_lettered"}
    assert state.calls[GET_LISTINGS_ITEM] == 0
    assert await listings(engine) == {}
