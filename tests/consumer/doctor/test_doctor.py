"""``spapi-notify doctor`` across real boundaries: queues on the moto server, the SP-API sandbox over HTTP,
the database. The healthy setup passes every check; each broken one is named with its fix.

moto does not enforce queue or key policies (it stores them): the doctor reads and evaluates them, and
tests/consumer/doctor/test_policy.py tests that evaluation on Amazon's documented policy shapes.
"""

from __future__ import annotations

import json
import shlex
import uuid
from datetime import UTC, datetime, timedelta

import aioboto3
import pytest

from consumer.doctor.check import Status
from consumer.doctor.eventbridge import EVENT_PATTERN, BridgeResult, rule_check
from consumer.doctor.queue import QueueFacts, Route, policy_checks
from consumer.doctor.statements import eventbridge_queue_statement
from tests.fixtures.doctor_world import (
    ACCOUNT,
    ALLOW_SPAPI,
    DENY_INSECURE,
    SESSION,
    DoctorWorld,
    by_name,
    make_queue,
    one,
    policy,
    problems,
)

ORDER_CHANGE = {"type": "ORDER_CHANGE", "payload_version": "1.0"}
REPORTS = {"type": "REPORT_PROCESSING_FINISHED", "payload_version": "2020-09-04"}
SHIPPED = {**ORDER_CHANGE, "filter_expression": "$.OrderChangeNotification.Summary.OrderStatus == 'Shipped'"}
CANCELLED = {
    **ORDER_CHANGE,
    "filter_expression": "$.OrderChangeNotification.Summary.OrderStatus == 'Canceled'",
}

JSON_KEYS = {"name", "subject", "status", "detail", "fix"}


def _subscribe_as_file(world: DoctorWorld, seller_id: str) -> None:
    """Amazon holds what the healthy file asks: two ORDER_CHANGE subscriptions (filters differ), one "
    "report."""
    notifications = world.state.notifications
    for spec in (SHIPPED, CANCELLED):
        notifications.add_subscription(
            seller_id,
            "ORDER_CHANGE",
            payload_version="1.0",
            destination_id=world.destination_id,
            processing_directive={"filterExpression": spec["filter_expression"]},
        )
    notifications.add_subscription(
        seller_id,
        "REPORT_PROCESSING_FINISHED",
        payload_version="2020-09-04",
        destination_id=world.destination_id,
    )


async def test_the_healthy_setup_passes_every_check(world: DoctorWorld) -> None:
    sellers = await world.add_sellers(2)
    for seller_id in sellers:
        _subscribe_as_file(world, seller_id)
    now = datetime.now(UTC)
    await world.arrived(sellers[0], "ORDER_CHANGE", now - timedelta(minutes=5))
    await world.order_changed(sellers[0], now - timedelta(minutes=6))
    config = world.write_config([SHIPPED, CANCELLED, REPORTS])

    code, checks = await world.doctor_cli("--config", str(config))

    assert problems(checks) == []
    assert code == 0
    assert all(set(c) == JSON_KEYS for c in checks)
    names = {c["name"] for c in checks}
    assert names >= {
        "settings.application_id",
        "settings.lwa_credentials",
        "settings.region",
        "settings.encryption_key",
        "database.reachable",
        "database.migrated",
        "queue.reachable",
        "queue.standard",
        "queue.region",
        "queue.policy",
        "queue.kms",
        "queue.redrive",
        "queue.dlq",
        "queue.visibility",
        "lwa.grantless",
        "lwa.seller",
        "destinations.read",
        "destinations.queue",
        "subscriptions.destination",
        "subscriptions.held",
        "traffic",
        "traffic.application",
    }
    assert one(checks, "queue.policy", "437568002678")["status"] == "pass"
    held = one(checks, "subscriptions.held", sellers[0])["detail"]
    assert held.count("ORDER_CHANGE [filterExpression") == 2
    assert "ORDER_CHANGE" in one(checks, "traffic", sellers[0])["detail"]
    assert {c["subject"] for c in by_name(checks, "lwa.seller")} == set(sellers)
    # Every SP-API call went through the shared budget and stayed inside Amazon's limits.
    assert sum(world.state.throttled.values()) == 0
    # The destinations are read once, for the destination checks and the subscription plan alike.
    assert world.state.calls["notifications.getDestinations"] == 1


async def _run_sqs_fix(fix: str, queue_url: str) -> None:
    """Do what the fix's ``aws sqs set-queue-attributes`` line says (no aws CLI here: boto3 with its
    arguments)."""
    [line] = [line for line in fix.splitlines() if line.startswith("aws sqs set-queue-attributes")]
    words = shlex.split(line)
    assert words[words.index("--queue-url") + 1] == queue_url
    attributes = json.loads(words[words.index("--attributes") + 1])
    async with SESSION.client("sqs") as sqs:
        await sqs.set_queue_attributes(QueueUrl=queue_url, Attributes=attributes)


def _failure(checks: list[dict[str, object]], name: str, subject: str | None = None) -> dict[str, object]:
    found = one(checks, name, subject)
    assert found["status"] == "fail", found
    assert found["fix"], found
    return found


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_each_broken_queue_is_named_with_its_fix(world: DoctorWorld) -> None:
    await world.add_sellers(1)

    no_policy = await make_queue(statements=None)
    code, checks = await world.queue_doctor(queue_url=no_policy.url)
    assert code == 1
    found = _failure(checks, "queue.policy", "437568002678")
    assert "the resource has no policy" in str(found["detail"])
    assert '"AWS": "arn:aws:iam::437568002678:root"' in str(found["fix"])
    # The fix is a command that works: applied, the check passes.
    await _run_sqs_fix(str(found["fix"]), no_policy.url)
    code, checks = await world.queue_doctor(queue_url=no_policy.url)
    assert one(checks, "queue.policy", "437568002678")["status"] == "pass"

    denied = await make_queue(statements=(ALLOW_SPAPI, {**DENY_INSECURE, "Condition": {}}))
    code, checks = await world.queue_doctor(queue_url=denied.url)
    assert "statement 'DenyInsecureTransport' denies" in str(
        _failure(checks, "queue.policy", "437568002678")["detail"]
    )

    fifo = await make_queue(fifo=True)
    code, checks = await world.queue_doctor(queue_url=fifo.url)
    assert "FIFO" in str(_failure(checks, "queue.standard")["detail"])

    elsewhere = await make_queue(region="eu-west-1")
    # The SDK's region (AWS_DEFAULT_REGION) is where a queue URL without one is looked up.
    code, checks = await world.queue_doctor(
        queue_url=elsewhere.url, session=aioboto3.Session(region_name="eu-west-1")
    )
    found = _failure(checks, "queue.region")
    assert "is in eu-west-1, but SP-API region na delivers only to queues in us-east-1" in str(
        found["detail"]
    )
    assert "create the queue in us-east-1" in str(found["fix"])

    no_dlq = await make_queue(redrive=False)
    code, checks = await world.queue_doctor(queue_url=no_dlq.url)
    found = _failure(checks, "queue.redrive")
    assert "no RedrivePolicy" in str(found["detail"])
    assert str(found["fix"]).startswith("aws sqs create-queue --region us-east-1 --queue-name ")
    async with SESSION.client("sqs") as sqs:
        await sqs.create_queue(QueueName=no_dlq.arn.rsplit(":", 1)[1] + "-dlq")
    await _run_sqs_fix(str(found["fix"]), no_dlq.url)
    code, checks = await world.queue_doctor(queue_url=no_dlq.url)
    assert "after 5 receive(s)" in str(one(checks, "queue.redrive")["detail"])

    hasty = await make_queue(max_receive_count=1)
    code, checks = await world.queue_doctor(queue_url=hasty.url)
    assert "after 1 receive(s)" in str(_failure(checks, "queue.redrive")["detail"])

    missing = await world.queue_doctor(queue_url=no_dlq.url + "-gone")
    assert "no such queue" in str(_failure(missing[1], "queue.reachable")["detail"])
    assert missing[0] == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_kms_key_amazon_may_not_use(world: DoctorWorld) -> None:
    await world.add_sellers(1)
    async with SESSION.client("kms") as kms:
        key = (await kms.create_key())["KeyMetadata"]  # moto's default policy: only this account
        encrypted = await make_queue(kms_key=key["KeyId"])
        code, checks = await world.queue_doctor(queue_url=encrypted.url)
        assert code == 1
        found = _failure(checks, "queue.kms", "437568002678")
        assert "kms:GenerateDataKey" in str(found["detail"])
        assert f"aws kms put-key-policy --region us-east-1 --key-id {key['KeyId']}" in str(found["fix"])

        allowing = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "437568002678"},
                    "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                    "Resource": "*",
                },
            ],
        }
        await kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(allowing))
    code, checks = await world.queue_doctor(queue_url=encrypted.url)
    assert one(checks, "queue.kms", "437568002678")["status"] == "pass"
    managed = await make_queue(kms_key="alias/aws/sqs")
    code, checks = await world.queue_doctor(queue_url=managed.url)
    assert "AWS-managed key alias/aws/sqs" in str(_failure(checks, "queue.kms")["detail"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_revoked_sellers_drifted_subscriptions_and_silence_are_named(world: DoctorWorld) -> None:
    drifted, revoked, missing = await world.add_sellers(3)
    notifications = world.state.notifications
    old = notifications.add_destination("old-queue", sqs_arn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:old-queue")
    stray = notifications.add_destination("stray", sqs_arn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:stray")
    # drifted: ORDER_CHANGE still goes to the old queue, and a filtered one the file does not list.
    notifications.add_subscription(
        drifted, "ORDER_CHANGE", payload_version="1.0", destination_id=old["destinationId"]
    )
    notifications.add_subscription(
        drifted,
        "ORDER_CHANGE",
        payload_version="1.0",
        destination_id=world.destination_id,
        processing_directive={"filterExpression": CANCELLED["filter_expression"]},
    )
    notifications.add_subscription(
        revoked, "ORDER_CHANGE", payload_version="1.0", destination_id=world.destination_id
    )
    world.state.revoke("Atzr|doctor-refresh-0001")
    now = datetime.now(UTC)
    await world.order_changed(missing, now - timedelta(hours=1))
    await world.arrived(missing, "ORDER_CHANGE", now - timedelta(days=3))
    await world.arrived(drifted, "ORDER_CHANGE", now - timedelta(days=1), status="dead_lettered")
    config = world.write_config([ORDER_CHANGE])

    code, checks = await world.doctor(config=config)

    assert code == 1
    found = _failure(checks, "lwa.seller", revoked)
    assert "invalid_grant" in str(found["detail"])
    assert "revoked" in str(found["detail"])
    assert f"spapi-notify sellers add {revoked}" in str(found["fix"])
    found = _failure(checks, "subscriptions.held", f"{drifted} ORDER_CHANGE")
    assert f"destination {old['destinationId']} -> main" in str(found["detail"])
    assert str(found["fix"]) == f"`spapi-notify subscriptions apply --config {config} --replace`"
    extra = f"{drifted} ORDER_CHANGE [filterExpression {CANCELLED['filter_expression']}]"
    found = _failure(checks, "subscriptions.held", extra)
    assert "does not list" in str(found["detail"])
    assert "--prune" in str(found["fix"])
    found = _failure(checks, "subscriptions.held", f"{missing} ORDER_CHANGE")
    assert "Amazon holds no such subscription" in str(found["detail"])
    found = _failure(checks, "destinations.unused", stray["destinationId"])
    assert f"spapi-notify subscriptions delete --destination {stray['destinationId']}" in str(found["fix"])
    assert not by_name(checks, "destinations.unused", old["destinationId"])  # a subscription still uses it
    found = _failure(checks, "traffic", f"{missing} ORDER_CHANGE")
    assert "last arrived 3.0 days ago, while 1 of the seller's orders changed" in str(found["detail"])
    found = _failure(checks, "traffic.application")
    assert "application amzn1.sp.solution.other" in str(found["detail"])
    assert "SPAPI_NOTIFY_APPLICATION_ID=amzn1.sp.solution.other" in str(found["fix"])
    # The revoked seller's subscriptions are not read again: its one failure is LWA's.
    assert not by_name(checks, "subscriptions.held", revoked)
    assert sum(world.state.throttled.values()) == 0

    code, checks = await world.doctor(config=config, sellers=(missing,))
    assert {c["subject"] for c in by_name(checks, "lwa.seller")} == {missing}
    assert not [c for c in checks if c["subject"] and drifted in str(c["subject"])]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_eventbridge_source_never_associated_with_a_bus(world: DoctorWorld) -> None:
    await world.add_sellers(1)
    application = f"amzn1.sp.solution.{uuid.uuid4()}"
    world.state.notifications.application_id = application
    bridge = world.state.notifications.add_destination("bus", eventbridge=(ACCOUNT, "us-east-1"))
    source = bridge["resource"]["eventBridge"]["name"]
    async with SESSION.client("events") as events:
        # What Amazon's createDestination does in the customer's account: a partner event source, no bus.
        await events.create_partner_event_source(Name=source, Account=ACCOUNT)

        code, checks = await world.doctor(application_id="amzn1.sp.solution.wrong")
        assert code == 1
        found = _failure(checks, "eventbridge.bus", source)
        assert "no event bus is associated" in str(found["detail"])
        assert found["fix"] == (
            f"aws events create-event-bus --region us-east-1 --name {source} --event-source-name {source}"
        )
        found = _failure(checks, "settings.application_id", source)
        assert f"SPAPI_NOTIFY_APPLICATION_ID={application}" in str(found["fix"])
        assert one(checks, "eventbridge.source", source)["status"] == "pass"

        await events.create_event_bus(Name=source, EventSourceName=source)
    code, checks = await world.doctor(application_id=application)
    assert one(checks, "eventbridge.bus", source)["status"] == "pass"
    # moto cannot hold rules on a partner bus (a name with '/'): the rule check says it could not check.
    rule = one(checks, "eventbridge.rule", source)
    assert rule["status"] == "error"
    assert "could not be listed" in str(rule["detail"])
    assert code == 2  # nothing failed; one check could not be made


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_rule_and_the_queue_policy_for_eventbridge(world: DoctorWorld) -> None:
    queue = world.queue
    bus = f"doctor-bus-{uuid.uuid4().hex[:8]}"
    async with SESSION.client("events") as events, SESSION.client("sqs") as sqs:
        await events.create_event_bus(Name=bus)
        pattern = json.dumps(EVENT_PATTERN)
        rule_arn = (await events.put_rule(Name="to-other", EventBusName=bus, EventPattern=pattern))["RuleArn"]
        await events.put_targets(
            Rule="to-other", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue.arn + "-other"}]
        )
        result = BridgeResult()
        await rule_check(events, bus, "us-east-1", queue.arn, result, subject=bus)
        assert [c.status for c in result.checks] == [Status.FAIL]
        assert f"--targets Id=queue,Arn={queue.arn}" in str(result.checks[0].fix)

        await events.put_targets(
            Rule="to-other", EventBusName=bus, Targets=[{"Id": "ours", "Arn": queue.arn}]
        )
        result = BridgeResult()
        await rule_check(events, bus, "us-east-1", queue.arn, result, subject=bus)
        assert [c.status for c in result.checks] == [Status.PASS]
        assert result.rules == [rule_arn]

        found = await sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])
        attributes = {str(name): value for name, value in found["Attributes"].items()}
    facts = QueueFacts(queue.url, queue.arn, "us-east-1", ACCOUNT, attributes)
    route = Route(direct=True, rules=(rule_arn,), eventbridge=True)
    [spapi, bridge] = policy_checks(facts, route)
    assert spapi.status is Status.PASS
    assert bridge.status is Status.FAIL
    assert f'"aws:SourceArn": "{rule_arn}"' in str(bridge.fix)
    allowed = policy(ALLOW_SPAPI, eventbridge_queue_statement("QUEUE_ARN", rule_arn), arn=queue.arn)
    facts = QueueFacts(queue.url, queue.arn, "us-east-1", ACCOUNT, {**attributes, "Policy": allowed})
    assert [c.status for c in policy_checks(facts, route)] == [Status.PASS, Status.PASS]
    another = Route(direct=True, rules=(rule_arn.replace("to-other", "another"),), eventbridge=True)
    assert [c.status for c in policy_checks(facts, another)] == [Status.PASS, Status.FAIL]
