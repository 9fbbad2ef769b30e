"""Several subscriptions to one notification type (filter expressions since August 2026): plan, apply and
prune see every one of them through the paginated getSubscriptions, against the sandbox over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from store.subscription_records import list_subscriptions
from subscriptions.config import parse_config
from tests.fixtures.subscription_world import QUEUE_ARN, Runs, World

SHIPPED = "$.OrderChangeNotification.Summary.OrderStatus == 'Shipped'"
CANCELLED = "$.OrderChangeNotification.Summary.OrderStatus == 'Canceled'"
GET_SUBSCRIPTIONS = "notifications.getSubscriptions"
CREATE = "notifications.createSubscription"
DELETE = "notifications.deleteSubscriptionById"


def filtered(*expressions: str, report: bool = False) -> Any:
    types: list[dict[str, Any]] = [
        {"type": "ORDER_CHANGE", "payload_version": "1.0", "filter_expression": e} for e in expressions
    ]
    if report:
        types.append({"type": "REPORT_PROCESSING_FINISHED", "payload_version": "2020-09-04"})
    return parse_config(
        {
            "destinations": {"main": {"sqs_arn": QUEUE_ARN}},
            "subscriptions": [{"sellers": "all", "destination": "main", "types": types}],
        }
    )


def expressions(world: World, seller_id: str) -> list[str]:
    held = world.state.notifications.of(seller_id, "ORDER_CHANGE")
    return sorted(s.body.get("processingDirective", {}).get("filterExpression", "") for s in held)


async def test_two_filters_on_one_type_are_two_subscriptions(world: World, manager: Runs) -> None:
    sellers = await world.add_sellers(2)
    wanted = filtered(SHIPPED, CANCELLED, report=True)

    plan = await manager.plan(wanted)
    creates = [line for line in plan.lines() if "create  " in line and "ORDER_CHANGE" in line]
    assert len(creates) == 4
    assert any(f"[filterExpression {SHIPPED}]" in line for line in creates)

    world.later()
    result = await manager.apply(wanted)
    assert result.failures == []
    for seller_id in sellers:
        assert expressions(world, seller_id) == sorted([SHIPPED, CANCELLED])
    assert len(await list_subscriptions(world.engine)) == 6

    world.later()
    again = await manager.apply(wanted)
    assert again.lines() == ["no changes: Amazon already holds the desired state"]
    assert world.state.calls[CREATE] == 6


# The records' SQL runs on both backends in the first test; one is enough here.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_prune_deletes_the_filter_the_file_dropped(world: World, manager: Runs) -> None:
    [seller] = await world.add_sellers(1)
    await manager.apply(filtered(SHIPPED, CANCELLED))
    world.later()

    smaller = filtered(SHIPPED)
    plan = await manager.plan(smaller)
    assert sorted(a.verb for a in plan.subscriptions) == ["extra", "keep"]
    world.later()
    result = await manager.apply(smaller, prune=True)
    assert result.failures == []
    assert expressions(world, seller) == [SHIPPED]
    assert [r.processing_directive for r in await list_subscriptions(world.engine)] == [
        {"filterExpression": SHIPPED}
    ]


# The records' SQL runs on both backends in the first test; one is enough here.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_changed_filter_is_created_before_the_old_one_is_deleted(world: World, manager: Runs) -> None:
    [seller] = await world.add_sellers(1)
    await manager.apply(filtered(SHIPPED))
    [old] = world.state.notifications.of(seller, "ORDER_CHANGE")
    world.later()

    changed = filtered(CANCELLED)
    result = await manager.apply(changed)
    [action] = result.plan.subscriptions
    assert (action.verb, action.difference) == ("differs", "processingDirective differs")
    assert expressions(world, seller) == [SHIPPED]

    world.later()
    replaced = await manager.apply(changed, replace=True)
    assert replaced.failures == []
    assert expressions(world, seller) == [CANCELLED]
    # No moment without a subscription: the new one was made before the old one went.
    writes = [r.op_key for r in world.state.requests if r.op_key in (CREATE, DELETE)]
    assert writes[-2:] == [CREATE, DELETE]
    assert world.state.requests[-1].path.endswith(old.subscription_id)
    [record] = await list_subscriptions(world.engine)
    assert record.processing_directive == {"filterExpression": CANCELLED}


# The records' SQL runs on both backends in the first test; one is enough here.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_plan_reads_every_page(world: World, manager: Runs) -> None:
    [seller] = await world.add_sellers(1)
    destination = world.state.notifications.add_destination("main", sqs_arn=QUEUE_ARN)["destinationId"]
    held = [f"$.OrderChangeNotification.Summary.OrderStatus == 'S{n:03d}'" for n in range(101)]
    for expression in held:
        world.state.notifications.add_subscription(
            seller,
            "ORDER_CHANGE",
            payload_version="1.0",
            destination_id=destination,
            processing_directive={"filterExpression": expression},
        )

    # The file wants the first and the last: one is on getSubscriptions' first page, one on its second.
    plan = await manager.plan(filtered(held[0], held[100]))
    assert world.state.calls[GET_SUBSCRIPTIONS] == 2
    assert sorted(a.verb for a in plan.subscriptions) == ["extra"] * 99 + ["keep"] * 2
    kept = [a.existing for a in plan.subscriptions if a.verb == "keep"]
    assert {s.processing_directive.filter_expression for s in kept if s and s.processing_directive} == {
        held[0],
        held[100],
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_client_keeps_get_subscriptions_within_the_model(world: World, manager: Runs) -> None:
    [seller] = await world.add_sellers(1)
    partner = (await world.directory().credentials(seller)).partner
    api = manager.client.notifications
    with pytest.raises(ValueError, match="exactly one notification type"):
        await api.get_subscriptions(partner, ["ORDER_CHANGE", "ANY_OFFER_CHANGED"])
    with pytest.raises(ValueError, match="pageSize is 30 to 100, not 10"):
        await api.get_subscriptions(partner, ["ORDER_CHANGE"], page_size=10)
    assert world.state.calls[GET_SUBSCRIPTIONS] == 0
    assert await api.get_subscriptions(partner, ["ORDER_CHANGE"], page_size=30) == []
