"""Failure paths through the real loop: every bad message is dead-lettered with its reason, transient failures
back off and retry, SQS's redrive catches what keeps failing, and one bad message never stops the rest."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.daemon.loop import Daemon
from consumer.intake.dead_letter import ERROR, REASON, RECEIVE_COUNT, SOURCE_MESSAGE_ID, SOURCE_QUEUE
from store.engine import create_engine
from store.tables import DELIVERY_FAILURES, NOTIFICATIONS
from tests.builders import eventbridge_event, example, notification_id_of, set_ids, steered
from tests.fixtures.daemons import daemon_settings, migrate_for_daemons, running
from tests.fixtures.metrics import metric
from tests.fixtures.polling import eventually
from tests.fixtures.postgres import PostgresServer
from tests.fixtures.queues import SESSION, Queues, create_queues, drain, queue_depth, send
from tests.fixtures.tables import effects, ledger


def attribute(message: dict[str, Any], name: str) -> str:
    return str(message["MessageAttributes"][name]["StringValue"])


async def test_permanent_errors_are_dead_lettered_with_their_reason(
    queues: Queues, migrated_url: str, engine: AsyncEngine
) -> None:
    no_order_id = set_ids(example("OrderChangeNotification.json"))
    del no_order_id["Payload"]["OrderChangeNotification"]["AmazonOrderId"]
    foreign = set_ids(
        example("ListingsItemStatusChangeNotification.json"), application_id="amzn1.sellerapps.app.other"
    )
    rejected = steered(permanent="this seller is not ours")
    good = steered()
    bodies: dict[str, str | dict[str, Any]] = {
        "malformed_json": '{"NotificationType": "ORDER_CHANGE", ',
        "unknown_envelope": {"hello": "world"},
        "schema_violation": no_order_id,
        "foreign_application": foreign,
        "foreign_event_source": eventbridge_event(steered(), source="com.example.orders"),
        "handler_rejected": rejected,
    }
    sent = dict(zip(bodies, await send(queues.url, *bodies.values(), good), strict=False))
    async with running(daemon_settings(queues, migrated_url)) as daemon:
        await eventually(
            lambda: queue_depth(queues.url), lambda depth: depth == (0, 0), what="source queue empty"
        )
        dead = await eventually(lambda: drain(queues.dlq_url), lambda found: len(found) == len(bodies))
    by_reason = {attribute(m, REASON): m for m in dead}
    assert set(by_reason) == set(bodies)
    for reason, message in by_reason.items():
        assert attribute(message, SOURCE_MESSAGE_ID) == sent[reason]
        assert attribute(message, SOURCE_QUEUE) == queues.arn
        assert attribute(message, RECEIVE_COUNT) == "1"
        original = bodies[reason]
        assert message["Body"] == (original if isinstance(original, str) else json.dumps(original))
    assert "AmazonOrderId" in attribute(by_reason["schema_violation"], ERROR)
    assert "amzn1.sellerapps.app.other" in attribute(by_reason["foreign_application"], ERROR)
    assert "com.example.orders" in attribute(by_reason["foreign_event_source"], ERROR)
    assert attribute(by_reason["handler_rejected"], ERROR) == "this seller is not ours"
    assert "Expecting" in attribute(by_reason["malformed_json"], ERROR)  # the JSON error, with its position

    rows = await ledger(engine)
    assert rows == {
        notification_id_of(no_order_id): "dead_lettered",
        notification_id_of(foreign): "dead_lettered",
        notification_id_of(rejected): "dead_lettered",
        notification_id_of(good): "processed",
    }
    assert await effects(engine) == {notification_id_of(good): 1}
    dead_lettered = [metric(daemon.metrics, "spapi_notify_dead_lettered_total", reason=r) for r in bodies]
    assert sum(dead_lettered) == len(bodies)


async def test_transient_failures_back_off_then_succeed_once(
    queues: Queues, migrated_url: str, engine: AsyncEngine
) -> None:
    flaky = steered(transient_failures=2)
    await send(queues.url, flaky)
    async with running(daemon_settings(queues, migrated_url)):
        rows = await eventually(lambda: ledger(engine), bool, what="processed at last")
        await eventually(lambda: queue_depth(queues.url), lambda depth: depth == (0, 0))
    assert rows == {notification_id_of(flaky): "processed"}
    assert await effects(engine) == {notification_id_of(flaky): 1}
    async with engine.connect() as connection:
        attempts = await connection.scalar(select(NOTIFICATIONS.c.attempts))
        failures = (
            await connection.execute(select(DELIVERY_FAILURES).order_by(DELIVERY_FAILURES.c.id))
        ).all()
    assert attempts == 3
    assert [(f.receive_count, f.reason) for f in failures] == [(1, "handler_error"), (2, "handler_error")]


async def test_a_message_that_keeps_failing_is_redriven_to_the_dlq(
    moto_server: str, migrated_url: str, engine: AsyncEngine
) -> None:
    queues = await create_queues(max_receive_count=2)
    broken = steered(crash="a bug in a handler")
    await send(queues.url, broken)
    async with running(daemon_settings(queues, migrated_url)) as daemon:
        dead = await eventually(lambda: drain(queues.dlq_url), lambda found: len(found) == 1, what="redriven")
        failed = metric(daemon.metrics, "spapi_notify_failures_total", reason="handler_error")
    assert json.loads(dead[0]["Body"]) == broken
    assert failed == 2
    assert await ledger(engine) == {}
    async with engine.connect() as connection:
        errors = (await connection.execute(select(DELIVERY_FAILURES.c.error))).scalars().all()
    assert errors == ["RuntimeError: a bug in a handler"] * 2


async def test_a_database_outage_pauses_the_daemon_and_costs_the_message_nothing(
    queues: Queues, postgres_server: PostgresServer, postgres_url: str
) -> None:
    """The database refuses connections for a while: receiving pauses, the message waits in the queue without
    a failure counted against it, and is processed once the database is back."""
    engine = create_engine(postgres_url)
    await migrate_for_daemons(engine)
    database = engine.url.database
    admin = create_engine(postgres_server.url(postgres_server.admin_database), isolation_level="AUTOCOMMIT")

    async def allow(on: bool) -> None:
        async with admin.connect() as connection:
            await connection.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(on).lower()}'))
            if not on:
                await connection.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db"),
                    {"db": database},
                )

    note = steered()
    try:
        async with running(
            daemon_settings(queues, postgres_url, retry_backoff_base=0.5, retry_backoff_max=1.0)
        ) as daemon:
            await allow(False)
            await send(queues.url, note)
            await eventually(
                lambda: released(daemon), lambda count: count >= 1, what="released while the database is down"
            )
            assert metric(daemon.metrics, "spapi_notify_receiving_paused", dependency="database") == 1
            assert sum(await queue_depth(queues.url)) == 1
            await allow(True)
            await eventually(
                lambda: ledger(engine), lambda rows: rows == {notification_id_of(note): "processed"}
            )
            assert metric(daemon.metrics, "spapi_notify_receiving_paused", dependency="database") == 0
        assert await effects(engine) == {notification_id_of(note): 1}
        assert await failures(daemon, "database") == 0
        async with engine.connect() as connection:
            # Received once before the outage was noticed, once after: no receive spent while it lasted.
            attempts = await connection.scalar(select(NOTIFICATIONS.c.attempts))
            assert attempts is not None
            assert attempts <= 2
            assert await connection.scalar(select(func.count()).select_from(DELIVERY_FAILURES)) == 0
    finally:
        await allow(True)
        await admin.dispose()
        await engine.dispose()


async def released(daemon: Daemon) -> float:
    """A probe for ``eventually``: messages released because the database was down."""
    return metric(daemon.metrics, "spapi_notify_outage_releases_total", dependency="database")


async def failures(daemon: Daemon, reason: str) -> float:
    """A probe for ``eventually``: the daemon's transient failures for ``reason`` so far."""
    return metric(daemon.metrics, "spapi_notify_failures_total", reason=reason)


async def test_eventbridge_rule_delivers_sp_api_events_and_foreign_ones_are_refused(
    queues: Queues, migrated_url: str, engine: AsyncEngine
) -> None:
    """Real PutEvents on moto's EventBridge, routed to the queue by rules like the infra template's."""
    async with SESSION.client("events") as events, SESSION.client("sqs") as sqs:
        bus = f"bus-{queues.arn.rsplit(':', 1)[1]}"
        await events.create_event_bus(Name=bus)
        for name, pattern in (
            ("spapi", {"source": [{"prefix": "aws.partner/sellingpartnerapi.amazon.com"}]}),
            ("impostor", {"source": ["com.example.impostor"]}),
        ):
            await events.put_rule(Name=f"{bus}-{name}", EventBusName=bus, EventPattern=json.dumps(pattern))
            await events.put_targets(
                Rule=f"{bus}-{name}", EventBusName=bus, Targets=[{"Id": "queue", "Arn": queues.arn}]
            )
        # A type with no handler: kept in notification_events without any SP-API call.
        unhandled = set_ids(example("FeePromotionNotification.json"))
        ours = steered()
        entries: list[Any] = [
            {
                "Source": "aws.partner/sellingpartnerapi.amazon.com/amzn1.sellerapps.app.test",
                "DetailType": "FEE_PROMOTION",
                "Detail": json.dumps(unhandled),
                "EventBusName": bus,
            },
            {
                "Source": "aws.partner/sellingpartnerapi.amazon.com/amzn1.sellerapps.app.test",
                "DetailType": "SPAPI_NOTIFY_TEST",
                "Detail": json.dumps(ours),
                "EventBusName": bus,
            },
            {
                "Source": "com.example.impostor",
                "DetailType": "ORDER_CHANGE",
                "Detail": json.dumps(steered()),
                "EventBusName": bus,
            },
        ]
        result = await events.put_events(Entries=entries)
        assert result["FailedEntryCount"] == 0
        del sqs
    async with running(daemon_settings(queues, migrated_url)):
        rows = await eventually(lambda: ledger(engine), lambda rows: len(rows) == 2)
        dead = await eventually(lambda: drain(queues.dlq_url), lambda found: len(found) == 1)
    assert rows == {notification_id_of(unhandled): "processed", notification_id_of(ours): "processed"}
    assert attribute(dead[0], REASON) == "foreign_event_source"
    async with engine.connect() as connection:
        envelopes = set((await connection.execute(select(NOTIFICATIONS.c.envelope))).scalars())
    assert envelopes == {"eventbridge"}


async def test_a_long_handler_keeps_its_message_invisible(
    moto_server: str, migrated_url: str, engine: AsyncEngine
) -> None:
    queues = await create_queues(visibility_timeout=2)
    slow = steered(sleep=4.5)
    await send(queues.url, slow)
    async with running(daemon_settings(queues, migrated_url, pollers=3)) as daemon:
        await eventually(lambda: ledger(engine), bool, what="processed")
        extensions = metric(daemon.metrics, "spapi_notify_visibility_extensions_total")
    assert await effects(engine) == {notification_id_of(slow): 1}
    assert extensions >= 2
    received = metric(daemon.metrics, "spapi_notify_messages_received_total")
    assert received == 1  # never handed out a second time
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.max(NOTIFICATIONS.c.attempts))) == 1
