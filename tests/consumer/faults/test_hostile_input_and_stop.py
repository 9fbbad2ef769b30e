"""The daemon as a real process, fed values no database column can hold and timestamps from the future, then
stopped with SIGTERM while a long poll is under way: the bad ones are dead-lettered as ``schema_violation``
naming the field, the good one is applied, and the batch the long poll brings after the signal is made
visible again at once instead of waiting out its visibility timeout."""

from __future__ import annotations

import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.intake.dead_letter import ERROR, REASON
from store.engine import create_engine
from tests.builders import notification_id_of, steered
from tests.fixtures.daemon_process import cli_env, events, free_port, readiness, start, wait_exit
from tests.fixtures.daemons import migrate_for_daemons
from tests.fixtures.polling import eventually
from tests.fixtures.queues import create_queues, dead_letters, drain, send
from tests.fixtures.steered_plugin import PLUGIN
from tests.fixtures.tables import effects, ledger


def with_metadata(**fields: str) -> dict[str, Any]:
    notification = steered()
    for key, value in fields.items():
        target = notification if key == "EventTime" else notification["NotificationMetadata"]
        target[key] = value
    return notification


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    """PostgreSQL only: it is the database whose column limits and text rules are being tested."""
    created = create_engine(postgres_url)
    await migrate_for_daemons(created)
    yield created
    await created.dispose()


async def test_hostile_values_are_dead_lettered_and_a_batch_received_after_sigterm_is_released(
    moto_server: str, postgres_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    queues = await create_queues(visibility_timeout=120)
    # (the field the error must name, the notification)
    hostile = [
        ("NotificationMetadata.NotificationId", with_metadata(NotificationId="n" * 300)),
        ("NotificationMetadata.NotificationId", with_metadata(NotificationId="a\x00b")),
        ("NotificationMetadata.SubscriptionId", with_metadata(SubscriptionId="s" * 129)),
        ("EventTime", with_metadata(EventTime="2999-01-01T00:00:00Z")),
        ("NotificationMetadata.PublishTime", with_metadata(PublishTime="2999-01-01T00:00:00Z")),
    ]
    good = steered()
    await send(queues.url, *(n for _, n in hostile), good)
    port = free_port()
    env = cli_env(
        moto_server,
        queue_url=queues.url,
        database_url=postgres_url,
        plugins=PLUGIN,
        pollers="1",
        receive_wait_seconds="5",
        metrics_port=str(port),
        log_format="json",
    )
    log = tmp_path / "daemon.log"
    process = start(env, tmp_path, log)
    try:
        dead = await eventually(dead_letters(queues), lambda found: len(found) == len(hostile), what="DLQ")
        await eventually(
            lambda: ledger(engine), lambda rows: notification_id_of(good) in rows, what="good one"
        )
        await eventually(lambda: readiness(port), lambda status: status == 200, what="ready")
        # The poller is in a 5 s long poll. Stop, then give that poll a message to bring back.
        process.send_signal(signal.SIGTERM)
        await eventually(lambda: _logged(log, "daemon.stopping"), bool, what="stopping")
        late = steered()
        await send(queues.url, late)
        assert await wait_exit(process) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert {m["MessageAttributes"][REASON]["StringValue"] for m in dead} == {"schema_violation"}
    errors = {json.dumps(json.loads(m["Body"]), sort_keys=True): m["MessageAttributes"][ERROR] for m in dead}
    for field, notification in hostile:
        error = errors[json.dumps(notification, sort_keys=True)]["StringValue"]
        assert field in error, (field, error)
        assert "n" * 100 not in error
        assert "s" * 100 not in error
    assert await effects(engine) == {notification_id_of(good): 1}
    # Released at shutdown: visible again now, not in 120 s; never handled, never deleted.
    released = await drain(queues.url)
    assert [json.loads(m["Body"]) for m in released] == [late]
    assert notification_id_of(late) not in await ledger(engine)
    assert events(log, "daemon.stopped")


async def _logged(log: Path, name: str) -> bool:
    return bool(events(log, name))
