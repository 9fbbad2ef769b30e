"""ORDER_CHANGE through the real loop: the official sample, raw and via EventBridge, on both databases,
getOrder answered by the sandbox over HTTP; coalescing, PII under an RDT, ordering, duplicates, dead
letters."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.app.configs import order_change_config, seller_directory
from consumer.intake.dead_letter import REASON
from consumer.settings import Settings, SettingsError
from handlers.context import HandlerContext, ServiceUnavailable
from handlers.order_change import FetchedOrder, OrderChangeHandler, OrderWrite
from spapi.models.orders import Order
from spapi.notifications import OrderChangePayload, parse_notification
from spapi.sandbox import SandboxServer, SandboxState
from spapi.sandbox.catalog import GET_ORDER, example_order, put_order
from store.tables import ORDER_ITEMS
from tests.builders import eventbridge_event, example, example_count, notification_id_of, set_ids
from tests.fixtures.daemons import running
from tests.fixtures.handler_world import SHORTCUT_SELLER, handler_settings
from tests.fixtures.polling import eventually
from tests.fixtures.queues import Queues, dead_letters, queue_depth, send
from tests.fixtures.tables import ledger_rows, order_items, orders

SCHEMA = "OrderChangeNotification.json"
CREATE_RDT = "tokens_2021-03-01.createRestrictedDataToken"


def change(
    order_id: str | None = None, event_time: str | None = None, seller_id: str | None = None
) -> dict[str, Any]:
    notification = set_ids(example(SCHEMA))
    payload = notification["Payload"]["OrderChangeNotification"]
    if order_id is not None:
        payload["AmazonOrderId"] = order_id
    if seller_id is not None:
        payload["SellerId"] = seller_id
    if event_time is not None:
        notification["EventTime"] = event_time
    return notification


def order_id_of(notification: dict[str, Any]) -> str:
    return str(notification["Payload"]["OrderChangeNotification"]["AmazonOrderId"])


def seed(
    state: SandboxState, order_id: str, updated: str, status: str = "UNSHIPPED", total: str = "59.98"
) -> None:
    put_order(
        state,
        example_order(
            order_id,
            last_updated_time=updated,
            fulfillment_status=status,
            grand_total=(total, "USD"),
            salesChannel={"channelName": "AMAZON", "marketplaceId": "ATVPDKIKX0DER"},
        ),
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


async def settled(engine: AsyncEngine, ids: set[str]) -> dict[str, dict[str, Any]]:
    return await eventually(
        lambda: ledger_rows(engine), lambda rows: ids <= set(rows), what=f"{len(ids)} notifications settled"
    )


@pytest.mark.parametrize("index", range(example_count(SCHEMA)))
async def test_official_sample_raw_and_via_eventbridge(
    index: int, settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues
) -> None:
    raw = set_ids(example(SCHEMA, index))
    bridged = eventbridge_event(set_ids(copy.deepcopy(raw)))
    order_id = order_id_of(raw)
    event_time = at(raw["EventTime"])
    seed(state, order_id, "2022-11-29T19:45:00Z", status="UNSHIPPED", total="199.90")
    await send(queues.url, raw, bridged)
    ids = {notification_id_of(raw), notification_id_of(bridged["detail"])}
    async with running(settings):
        ledger = await settled(engine, ids)
    assert {row["status"] for row in ledger.values()} == {"processed"}
    assert {row["envelope"] for row in ledger.values()} == {"sqs", "eventbridge"}
    row = (await orders(engine))[order_id]
    assert row["seller_id"] == SHORTCUT_SELLER
    assert row["marketplace_id"] == "ATVPDKIKX0DER"
    assert row["order_status"] == "UNSHIPPED"
    assert row["fulfillment_channel"] == "MERCHANT"
    assert row["purchase_date"] == at("2022-07-13T19:42:04.284Z")  # from the Summary
    assert row["last_updated_time"] == at("2022-11-29T19:45:00Z")
    assert row["last_event_time"] == event_time
    assert isinstance(row["order_total_amount"], Decimal)
    assert row["order_total_amount"] == Decimal("199.90")
    assert row["order_total_currency"] == "USD"
    assert row["raw"]["orderId"] == order_id
    assert "buyer" not in row["raw"]  # no PII unless SPAPI_NOTIFY_FETCH_PII
    assert "recipient" not in row["raw"]
    items = await order_items(engine)
    assert set(items) == {(order_id, "17198765432109")}
    item = items[order_id, "17198765432109"]
    assert (item["seller_sku"], item["asin"], item["quantity_ordered"], item["quantity_shipped"]) == (
        "ECHO-DOT-4-BR-PRETO",
        "B08N5WRWNW",
        1,
        0,
    )
    assert item["raw"]["product"]["asin"] == "B08N5WRWNW"
    # Two notifications of one order, a moment apart: one getOrder call.
    assert state.calls[GET_ORDER] == 1
    request = next(r for r in state.requests if r.op_key == GET_ORDER)
    assert request.token_kind == "seller"
    assert request.query["includedData"] == ["PROCEEDS,EXPENSE,PROMOTION,CANCELLATION,FULFILLMENT,PACKAGES"]


async def test_a_burst_of_one_order_costs_one_get_order(
    settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues
) -> None:
    seed(state, "111-0000001-0000001", "2026-11-23T10:00:09Z")
    seed(state, "111-0000002-0000002", "2026-11-23T10:00:09Z")
    burst = [
        change(order_id, event_time=f"2026-11-23T10:00:0{second}Z")
        for second in range(5)
        for order_id in ("111-0000001-0000001", "111-0000002-0000002")
    ]
    await send(queues.url, *burst)
    async with running(settings):
        ledger = await settled(engine, {notification_id_of(n) for n in burst})
    assert {row["status"] for row in ledger.values()} == {"processed"}
    assert state.calls[GET_ORDER] == 2
    assert {r["last_event_time"] for r in (await orders(engine)).values()} == {at("2026-11-23T10:00:04Z")}


async def test_pii_is_fetched_only_when_enabled_and_then_under_an_rdt(
    queues: Queues,
    migrated_url: str,
    engine: AsyncEngine,
    sandbox: SandboxServer,
    state: SandboxState,
    key: str,
) -> None:
    notification = change("222-0000001-0000001", event_time="2026-11-23T10:00:00Z")
    seed(state, "222-0000001-0000001", "2026-11-23T10:00:00Z")
    await send(queues.url, notification)
    settings = handler_settings(queues, migrated_url, sandbox, key, fetch_pii=True)
    async with running(settings):
        await settled(engine, {notification_id_of(notification)})
    row = (await orders(engine))["222-0000001-0000001"]
    assert row["raw"]["buyer"]["buyerName"] == "Maria Silva Santos"
    assert state.calls[CREATE_RDT] == 1
    request = next(r for r in state.requests if r.op_key == GET_ORDER)
    assert request.token_kind == "rdt"
    assert set(request.query["includedData"][0].split(",")) >= {"BUYER", "RECIPIENT", "PROCEEDS"}


def included_data(settings: Settings) -> tuple[str, ...]:
    return order_change_config(settings).included_data


def test_buyer_datasets_need_fetch_pii() -> None:
    with pytest.raises(SettingsError, match="SPAPI_NOTIFY_FETCH_PII"):
        included_data(Settings(order_included_data="PROCEEDS,BUYER"))
    with pytest.raises(SettingsError, match="NOPE"):
        included_data(Settings(order_included_data="PROCEEDS,NOPE"))
    assert included_data(Settings(order_included_data="proceeds", fetch_pii=True)) == (
        "PROCEEDS",
        "BUYER",
        "RECIPIENT",
    )
    assert "BUYER" not in included_data(Settings())


async def test_an_older_notification_delivered_late_changes_nothing(
    settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues
) -> None:
    order_id = "333-0000001-0000001"
    newer = change(order_id, event_time="2026-11-23T10:05:00Z")
    older = change(order_id, event_time="2026-11-23T10:00:00Z")
    seed(state, order_id, "2026-11-23T10:05:00Z", status="SHIPPED")
    await send(queues.url, newer)
    async with running(settings):
        await settled(engine, {notification_id_of(newer)})
        # Should getOrder be asked again it would answer with an older order (a lagging replica).
        seed(state, order_id, "2026-11-23T10:00:00Z", status="UNSHIPPED", total="1.00")
        await send(queues.url, older)
        ledger = await settled(engine, {notification_id_of(older)})
    assert ledger[notification_id_of(older)]["status"] == "processed"
    # The order fetched for the newer notification already reflects the older event: no second call.
    assert state.calls[GET_ORDER] == 1
    row = (await orders(engine))[order_id]
    assert row["order_status"] == "SHIPPED"
    assert row["last_updated_time"] == at("2026-11-23T10:05:00Z")
    assert row["last_event_time"] == at("2026-11-23T10:05:00Z")
    assert row["order_total_amount"] == Decimal("59.98")


def write(order_id: str, event_time: str | None, updated: str, status: str) -> OrderWrite:
    notification = change(order_id)
    change_model = OrderChangePayload.model_validate(notification["Payload"]).order_change_notification
    raw = example_order(order_id, last_updated_time=updated, fulfillment_status=status)
    fetched = FetchedOrder(Order.model_validate(raw), raw)
    return OrderWrite.build(change_model, fetched, at(event_time) if event_time else None, datetime.now(UTC))


async def apply(engine: AsyncEngine, *writes: OrderWrite) -> dict[str, Any]:
    for each in writes:
        async with engine.begin() as connection:
            await each.apply(connection)
    return (await orders(engine))[writes[0].order["amazon_order_id"]]


async def test_the_write_guard_keeps_the_newest_state(engine: AsyncEngine) -> None:
    """Two daemons committing in the wrong order: the SQL guard, without the loop's timing."""
    newest = write("666-1", "2026-11-23T10:05:00Z", "2026-11-23T10:05:00Z", "SHIPPED")
    stale = write("666-1", "2026-11-23T10:00:00Z", "2026-11-23T10:00:00Z", "UNSHIPPED")
    row = await apply(engine, newest, stale)
    assert (row["order_status"], row["last_event_time"]) == ("SHIPPED", at("2026-11-23T10:05:00Z"))

    # An older notification whose fetch is newer: the order is updated, the newest EventTime stays.
    refreshed = write("666-1", "2026-11-23T09:00:00Z", "2026-11-23T10:09:00Z", "CANCELLED")
    row = await apply(engine, refreshed)
    assert (row["order_status"], row["last_updated_time"]) == ("CANCELLED", at("2026-11-23T10:09:00Z"))
    assert row["last_event_time"] == at("2026-11-23T10:05:00Z")

    # The same order version reached by a newer notification: only the EventTime moves.
    same = write("666-1", "2026-11-23T10:09:00Z", "2026-11-23T10:09:00Z", "CANCELLED")
    older_same = write("666-1", "2026-11-23T10:01:00Z", "2026-11-23T10:09:00Z", "PENDING")
    row = await apply(engine, same, older_same)
    assert (row["order_status"], row["last_event_time"]) == ("CANCELLED", at("2026-11-23T10:09:00Z"))

    # Items are written with the order they belong to, not by a write the guard refused.
    async with engine.begin() as connection:
        await connection.execute(ORDER_ITEMS.delete())
    await apply(engine, stale)
    assert await order_items(engine) == {}


async def test_a_change_the_stored_order_already_shows_costs_no_call(engine: AsyncEngine) -> None:
    """After a restart (no coalescing cache) a late notification is settled from the stored order."""
    await apply(engine, write("777-1", "2026-11-23T10:05:00Z", "2026-11-23T10:05:00Z", "SHIPPED"))
    # No SP-API client at all: a getOrder call would raise.
    settings = Settings(seller_id=SHORTCUT_SELLER, refresh_token="Atzr|x")
    handler = OrderChangeHandler(
        HandlerContext(engine, seller_directory(settings, engine)), order_change_config(settings)
    )
    late = parse_notification(change("777-1", event_time="2026-11-23T10:01:00Z"))
    effect = await handler.prepare(late)
    assert effect.apply is None
    assert effect.summary == "order 777-1: already up to date"
    newer = parse_notification(change("777-1", event_time="2026-11-23T10:06:00Z"))
    with pytest.raises(ServiceUnavailable):
        await handler.prepare(newer)


async def test_duplicates_cost_nothing(
    settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues
) -> None:
    order_id = "444-0000001-0000001"
    notification = change(order_id, event_time="2026-11-23T10:00:00Z")
    seed(state, order_id, "2026-11-23T10:00:00Z")
    await send(queues.url, notification)
    async with running(settings):
        await settled(engine, {notification_id_of(notification)})
        before = (await orders(engine))[order_id]
        await send(queues.url, notification, eventbridge_event(notification))
        await eventually(lambda: queue_depth(queues.url), lambda depth: depth == (0, 0), what="all deleted")
    assert state.calls[GET_ORDER] == 1
    assert (await orders(engine))[order_id] == before
    assert len(await ledger_rows(engine)) == 1


async def test_an_unknown_seller_is_dead_lettered(
    settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues
) -> None:
    stranger = change("555-0000001-0000001", seller_id="A0UNKNOWNSELLER")
    foreign = set_ids(example(SCHEMA), application_id="amzn1.sellerapps.app.other")
    await send(queues.url, stranger, foreign)
    async with running(settings):
        dead = await eventually(dead_letters(queues), lambda found: len(found) == 2, what="DLQ")
        ledger = await settled(engine, {notification_id_of(stranger), notification_id_of(foreign)})
    reasons = {m["MessageAttributes"][REASON]["StringValue"] for m in dead}
    assert reasons == {"unknown_seller", "foreign_application"}
    assert ledger[notification_id_of(stranger)]["status"] == "dead_lettered"
    assert "A0UNKNOWNSELLER" in ledger[notification_id_of(stranger)]["error"]
    assert ledger[notification_id_of(foreign)]["status"] == "dead_lettered"
    assert state.calls[GET_ORDER] == 0
    assert await orders(engine) == {}
