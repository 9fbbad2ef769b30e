"""Messages moved by SQS's redrive carry none of our attributes: their first failure comes from the ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.dlq.replay import Action, Replayer, ReplayOutcome, Selection, Targets
from consumer.dlq.scan import DlqScan
from store.engine import create_engine
from store.ledger import DeliveryFailure, record_failure
from store.migrate import upgrade
from tests.builders import notification_id_of, steered
from tests.fixtures.cli import invoke, json_lines
from tests.fixtures.dlq_entries import dlq_queue
from tests.fixtures.polling import eventually
from tests.fixtures.queues import Queues, create_queues, queue_depth, send

FAILED_AT = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    created = create_engine(database_url)
    await upgrade(created)
    yield created
    await created.dispose()


async def redrive_one(sqs: Any, queues: Queues, body: dict[str, Any]) -> str:
    """Send a message and let it fail ``maxReceiveCount`` times, so that SQS's redrive moves it."""
    [message_id] = await send(queues.url, body)
    # maxReceiveCount receives that never delete it; SQS moves it on the receive after that.
    for _ in range(queues.max_receive_count + 1):
        await sqs.receive_message(QueueUrl=queues.url, VisibilityTimeout=0, WaitTimeSeconds=0)
    await eventually(lambda: queue_depth(queues.dlq_url), lambda depth: depth == (1, 0), what="redriven")
    return message_id


async def test_a_redriven_message_shows_and_filters_on_its_first_failure(
    sqs: Any, engine: AsyncEngine, database_url: str
) -> None:
    queues = await create_queues(max_receive_count=2)
    body = steered()
    message_id = await redrive_one(sqs, queues, body)
    async with engine.begin() as connection:
        for attempt, (reason, at) in enumerate(
            [("database", FAILED_AT), ("timeout", FAILED_AT.replace(hour=9))], start=1
        ):
            await record_failure(
                connection,
                DeliveryFailure(
                    message_id=message_id,
                    notification_id=notification_id_of(body),
                    notification_type="SPAPI_NOTIFY_TEST",
                    receive_count=attempt,
                    reason=reason,
                    error=f"{reason} went wrong",
                    failed_at=at,
                ),
            )

    outcomes: list[ReplayOutcome] = []
    await Replayer(
        DlqScan(dlq_queue(sqs, queues), wait_seconds=0),
        Targets(sqs, queues.url),
        Selection.of(reasons=["database"], until=FAILED_AT.replace(hour=9)),
        dry_run=True,
        engine=engine,
        on_outcome=outcomes.append,
    ).run()
    [outcome] = outcomes
    assert outcome.action is Action.WOULD_REPLAY
    letter = outcome.letter
    assert letter.message_id == message_id  # SQS's redrive keeps the MessageId
    assert (letter.reason, letter.error, letter.failed_at) == ("database", "database went wrong", FAILED_AT)
    assert not letter.dead_lettered_by_us

    # The command reads the same table through SPAPI_NOTIFY_DATABASE_URL, and works without it too.
    cli_env = {"SPAPI_NOTIFY_QUEUE_URL": queues.url, "SPAPI_NOTIFY_DATABASE_URL": database_url}
    without_db = await invoke("replay", "--dry-run", "--json", "--no-database", env=cli_env)
    with_db = await invoke("replay", "--reason", "database", "--json", env=cli_env)

    assert without_db.exit_code == 0, without_db.output
    [listed, _] = json_lines(without_db.stdout)
    assert (listed["message_id"], listed["reason"], listed["notification_type"]) == (
        message_id,
        None,
        "SPAPI_NOTIFY_TEST",
    )
    assert with_db.exit_code == 0, with_db.output
    [listed, summary] = json_lines(with_db.stdout)
    assert (listed["action"], listed["reason"], summary["replayed"]) == ("replayed", "database", 1)
    assert await queue_depth(queues.url) == (1, 0)
