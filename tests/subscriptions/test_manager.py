"""plan and apply against the sandbox over HTTP, with records on PostgreSQL and SQLite."""

from __future__ import annotations

import time

import pytest

from spapi import SpApiClient
from spapi.regions import Region
from spapi.sandbox import SandboxRequest, SandboxResponse
from store.subscription_records import list_destinations, list_subscriptions, seller_for_subscription
from subscriptions.config import parse_config
from subscriptions.manager import SubscriptionManager
from tests.fixtures.spapi_config import make_config
from tests.fixtures.subscription_world import OTHER_QUEUE_ARN, QUEUE_ARN, Runs, World, desired, refresh_token

CREATE_SUBSCRIPTION = "notifications.createSubscription"
CREATE_DESTINATION = "notifications.createDestination"
TYPES = (("ORDER_CHANGE", "1.0"), ("REPORT_PROCESSING_FINISHED", "2020-09-04"))


async def test_plan_apply_and_apply_again(world: World, manager: Runs) -> None:
    sellers = await world.add_sellers(2)
    wanted = desired(*TYPES)

    plan = await manager.plan(wanted)
    assert [(a.verb, a.name) for a in plan.destinations] == [("create", "main")]
    assert sorted((a.verb, a.seller_id, a.notification_type) for a in plan.subscriptions) == sorted(
        ("create", s, t) for s in sellers for t, _ in TYPES
    )
    assert plan.failures == []
    assert "subscriptions: 4 to create, 0 to replace, 0 to delete, 0 unchanged" in plan.lines()
    assert world.state.calls[CREATE_SUBSCRIPTION] == 0
    assert world.state.calls[CREATE_DESTINATION] == 0

    result = await manager.apply(wanted)
    assert result.failures == []
    assert world.state.calls[CREATE_DESTINATION] == 1
    assert world.state.calls[CREATE_SUBSCRIPTION] == 4
    held = world.state.notifications.subscriptions
    assert sorted(held) == sorted((s, t) for s in sellers for t, _ in TYPES)
    [destination] = world.state.notifications.destinations.values()
    assert destination["resource"] == {"sqs": {"arn": QUEUE_ARN}}
    assert all(s.body["destinationId"] == destination["destinationId"] for s in held.values())

    recorded = await list_subscriptions(world.engine)
    assert {(r.seller_id, r.notification_type, r.origin) for r in recorded} == {
        (s, t, "created") for s in sellers for t, _ in TYPES
    }
    [dest_record] = await list_destinations(world.engine)
    assert (dest_record.sqs_arn, dest_record.origin, dest_record.spapi_region) == (QUEUE_ARN, "created", "na")
    some = held[(sellers[1], "ORDER_CHANGE")]
    assert await seller_for_subscription(world.engine, some.subscription_id) == sellers[1]
    assert await seller_for_subscription(world.engine, "unknown") is None

    world.later()
    again = await manager.apply(wanted)
    assert again.done == []
    assert again.failures == []
    assert again.lines() == ["no changes: Amazon already holds the desired state"]
    assert world.state.calls[CREATE_SUBSCRIPTION] == 4
    assert world.state.calls[CREATE_DESTINATION] == 1
    assert not again.plan.has_changes
    assert sum(world.state.throttled.values()) == 0


async def test_prune_deletes_what_the_file_no_longer_lists(world: World, manager: Runs) -> None:
    sellers = await world.add_sellers(2)
    await manager.apply(desired(*TYPES))
    stray = await manager.client.notifications.create_destination("stray", sqs_arn=OTHER_QUEUE_ARN)
    world.later()

    smaller = desired(("ORDER_CHANGE", "1.0"))
    plan = await manager.plan(smaller)
    verbs = sorted((a.verb, a.notification_type) for a in plan.subscriptions)
    assert verbs == [("extra", "REPORT_PROCESSING_FINISHED")] * 2 + [("keep", "ORDER_CHANGE")] * 2
    assert [a.verb for a in plan.destinations] == ["keep", "extra"]
    assert any("apply --prune deletes it" in line for line in plan.lines())

    world.later()
    result = await manager.apply(smaller, prune=True)
    assert result.failures == []
    assert sorted(world.state.notifications.subscriptions) == [(s, "ORDER_CHANGE") for s in sellers]
    assert stray.data.destination_id not in world.state.notifications.destinations
    assert {r.notification_type for r in await list_subscriptions(world.engine)} == {"ORDER_CHANGE"}
    assert sum(1 for line in result.done if line.startswith("- deleted subscription")) == 2


async def test_replace_only_with_the_flag(world: World, manager: Runs) -> None:
    [seller] = await world.add_sellers(1)
    await manager.apply(desired(("ORDER_CHANGE", "1.0")))
    old = world.state.notifications.subscriptions[(seller, "ORDER_CHANGE")].subscription_id
    world.later()

    newer = desired(("ORDER_CHANGE", "2.0"))
    result = await manager.apply(newer)
    [action] = result.plan.subscriptions
    assert (action.verb, action.difference) == ("differs", "payloadVersion 1.0 -> 2.0")
    assert world.state.notifications.subscriptions[(seller, "ORDER_CHANGE")].subscription_id == old
    assert result.failures == []

    world.later()
    replaced = await manager.apply(newer, replace=True)
    assert replaced.failures == []
    current = world.state.notifications.subscriptions[(seller, "ORDER_CHANGE")]
    assert current.subscription_id != old
    assert current.body["payloadVersion"] == "2.0"
    assert await seller_for_subscription(world.engine, old) is None
    assert await seller_for_subscription(world.engine, current.subscription_id) == seller

    world.later()
    moved = await manager.apply(desired(("ORDER_CHANGE", "2.0"), arn=OTHER_QUEUE_ARN), replace=True)
    assert moved.failures == []
    body = world.state.notifications.subscriptions[(seller, "ORDER_CHANGE")].body
    other = next(
        d
        for d in world.state.notifications.destinations.values()
        if d["resource"]["sqs"]["arn"] == OTHER_QUEUE_ARN
    )
    assert body["destinationId"] == other["destinationId"]


async def test_a_replacement_whose_destination_fails_keeps_the_working_subscription(
    world: World, manager: Runs
) -> None:
    [seller] = await world.add_sellers(1)
    await manager.apply(desired(("ORDER_CHANGE", "1.0")))
    old = world.state.notifications.subscriptions[(seller, "ORDER_CHANGE")].subscription_id
    world.later()
    world.state.inject(CREATE_DESTINATION, 400, times=1)
    moved = await manager.apply(desired(("ORDER_CHANGE", "1.0"), arn=OTHER_QUEUE_ARN), replace=True)
    assert [f.notification_type for f in moved.failures if f.seller_id == seller] == ["ORDER_CHANGE"]
    assert "existing subscription is kept" in moved.failures[-1].describe()
    assert world.state.notifications.subscriptions[(seller, "ORDER_CHANGE")].subscription_id == old
    assert await seller_for_subscription(world.engine, old) == seller


async def test_partial_failure_keeps_what_succeeded(world: World, manager: Runs) -> None:
    sellers = await world.add_sellers(3)
    world.state.revoke(refresh_token(1))
    wanted = desired(*TYPES, sellers=[*sellers, "A9NOCREDENTIALS"])

    result = await manager.apply(wanted)
    failed = {(f.seller_id, f.notification_type) for f in result.failures}
    assert failed == {(sellers[1], None), ("A9NOCREDENTIALS", None)}
    messages = "\n".join(f.describe() for f in result.failures)
    assert "must authorise the application again" in messages
    assert "spapi-notify sellers add A9NOCREDENTIALS" in messages
    assert refresh_token(1) not in messages
    assert sorted(world.state.notifications.subscriptions) == sorted(
        (s, t) for s in (sellers[0], sellers[2]) for t, _ in TYPES
    )


async def test_missing_role_says_so(world: World, manager: Runs) -> None:
    sellers = await world.add_sellers(2)
    world.state.inject(CREATE_SUBSCRIPTION, 403, times=1)
    result = await manager.apply(desired(("ORDER_CHANGE", "1.0")))
    [failure] = result.failures
    assert failure.notification_type == "ORDER_CHANGE"
    assert "missing permissions" in failure.message
    assert len(world.state.notifications.subscriptions) == 1
    assert failure.seller_id in sellers


async def test_conflict_on_an_existing_destination_is_resolved(world: World, manager: Runs) -> None:
    await world.add_sellers(1)
    existing = await manager.client.notifications.create_destination("made-elsewhere", sqs_arn=QUEUE_ARN)
    calls = {"n": 0}

    def lagging(request: SandboxRequest) -> SandboxResponse | None:
        # The first listing misses the destination, as a list that lags behind a create would.
        calls["n"] += 1
        return SandboxResponse(200, {"payload": []}) if calls["n"] == 1 else None

    world.state.on("notifications.getDestinations", lagging)
    world.later()
    result = await manager.apply(desired(("ORDER_CHANGE", "1.0")))
    assert result.failures == []
    assert world.state.calls[CREATE_DESTINATION] == 2  # ours above, then apply's 409
    assert f"= adopted destination main ({existing.data.destination_id})" in result.done
    [subscription] = world.state.notifications.subscriptions.values()
    assert subscription.body["destinationId"] == existing.data.destination_id
    [record] = await list_destinations(world.engine)
    assert record.origin == "adopted"


async def test_conflict_on_an_existing_subscription_is_adopted(world: World, manager: Runs) -> None:
    [seller] = await world.add_sellers(1)
    await manager.apply(desired(("ORDER_CHANGE", "1.0")))
    sub = world.state.notifications.subscriptions[(seller, "ORDER_CHANGE")]

    def missing(request: SandboxRequest) -> SandboxResponse | None:
        # getSubscriptions misses it once, so apply tries to create it and meets Amazon's 409.
        world.state.off("notifications.getSubscriptions")
        return SandboxResponse(200, {"payload": {"subscriptions": []}})

    world.state.on("notifications.getSubscriptions", missing)
    world.later()
    result = await manager.apply(desired(("ORDER_CHANGE", "1.0")))
    assert result.failures == []
    assert (
        world.state.notifications.subscriptions[(seller, "ORDER_CHANGE")].subscription_id
        == sub.subscription_id
    )
    assert await seller_for_subscription(world.engine, sub.subscription_id) == seller


async def test_eventbridge_destination_prints_the_next_step(world: World, manager: Runs) -> None:
    await world.add_sellers(1)
    wanted = parse_config(
        {
            "destinations": {
                "bus": {"eventbridge_account_id": "123456789012", "eventbridge_region": "us-east-1"}
            },
            "subscriptions": [
                {
                    "sellers": "all",
                    "destination": "bus",
                    "types": [{"type": "ORDER_CHANGE", "payload_version": "1.0"}],
                }
            ],
        }
    )
    result = await manager.apply(wanted)
    assert result.failures == []
    [step] = result.next_steps
    source = "aws.partner/sellingpartnerapi.amazon.com/123456789012/amzn1.sp.solution.sandbox"
    assert f"associate the partner event source {source} with an event bus" in step
    [record] = await list_destinations(world.engine)
    assert (record.kind, record.eventbridge_source) == ("eventbridge", source)


# One backend is enough here: this test is about pacing, and the records' SQL runs on both in the others.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_200_sellers_times_3_types_without_a_429(world: World) -> None:
    assert world.state.rate_limits_enabled
    sellers = await world.add_sellers(200)
    wanted = desired(*TYPES, ("LISTINGS_ITEM_STATUS_CHANGE", "1.0"))
    started = time.monotonic()
    async with SpApiClient(make_config(world.server, max_attempts=1)) as client:
        manager = SubscriptionManager(
            client, world.directory(), world.engine, region=Region.NA, concurrency=64
        )
        result = await manager.apply(wanted)
    assert result.failures == []
    assert len(world.state.notifications.subscriptions) == 600
    assert world.state.calls[CREATE_SUBSCRIPTION] == 600
    assert sum(world.state.throttled.values()) == 0
    assert len(await list_subscriptions(world.engine)) == 600
    assert {r.seller_id for r in await list_subscriptions(world.engine)} == set(sellers)
    assert time.monotonic() - started < 30


async def test_prune_reaches_sellers_the_file_no_longer_names(world: World, manager: Runs) -> None:
    sellers = await world.add_sellers(2)
    await manager.apply(desired(("ORDER_CHANGE", "1.0"), sellers=sellers))
    world.later()
    only_first = desired(("ORDER_CHANGE", "1.0"), sellers=[sellers[0]])
    plan = await manager.plan(only_first)
    assert [(a.verb, a.seller_id) for a in plan.subscriptions if a.verb != "keep"] == [("extra", sellers[1])]
    world.later()
    result = await manager.apply(only_first, prune=True)
    assert result.failures == []
    assert sorted(world.state.notifications.subscriptions) == [(sellers[0], "ORDER_CHANGE")]
    assert {r.seller_id for r in await list_subscriptions(world.engine)} == {sellers[0]}
