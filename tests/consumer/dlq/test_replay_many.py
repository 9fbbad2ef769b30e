"""A thousand dead letters replayed in one run.

moto's SendMessage and ReceiveMessage cost time linear in the queue's depth (each recounts the whole queue,
per message), so filling and scanning 1,000 messages is quadratic there. Replay deletes each batch as soon
as it is sent, so the DLQ shrinks as it goes; and a consumer empties the source queue meanwhile (as the
daemon would), which keeps the sends cheap and lets the test check every message that arrives. And moto's
clock helper, called several times per queued message on every send and receive, is swapped for an
equivalent cheap one for the duration of the test.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import Any

import moto.sqs.models as moto_sqs_models
import pytest

from consumer.dlq.replay import Action, Replayer, ReplayOutcome, Selection, Targets
from consumer.dlq.scan import DlqScan
from handlers.errors import Reason
from tests.builders import notification_id_of, steered
from tests.fixtures.dlq_entries import dead_lettered, dlq_queue, send_entries
from tests.fixtures.queues import Queues, queue_depth

COUNT = 1000


@pytest.fixture
def fast_moto_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's unix_time() builds and subtracts datetimes (~5 us); time.time() is the same number, faster.

    Only the fake's speed changes: messages still become visible, delayed and expired at the same times.
    """
    monkeypatch.setattr(
        moto_sqs_models, "unix_time", lambda dt=None: time.time() if dt is None else _epoch(dt)
    )
    monkeypatch.setattr(
        moto_sqs_models,
        "unix_time_millis",
        lambda dt=None: 1000.0 * (time.time() if dt is None else _epoch(dt)),
    )


def _epoch(dt: datetime) -> float:
    return (dt - datetime(1970, 1, 1)).total_seconds()


@pytest.mark.slow
@pytest.mark.usefixtures("fast_moto_clock")
async def test_a_thousand_messages_are_replayed(sqs: Any, queues: Queues) -> None:
    started = time.monotonic()
    notifications = [steered() for _ in range(COUNT)]
    entries = [dead_lettered(queues, n, Reason.SPAPI) for n in notifications]
    sent = await send_entries(sqs, queues.dlq_url, entries)
    assert await queue_depth(queues.dlq_url) == (COUNT, 0)
    filled = time.monotonic()

    outcomes: list[ReplayOutcome] = []
    consumer = asyncio.create_task(consume(sqs, queues.url, COUNT))
    summary = await Replayer(
        DlqScan(dlq_queue(sqs, queues), wait_seconds=0),
        Targets(sqs, queues.url),
        Selection.of(),
        on_outcome=outcomes.append,
    ).run()
    arrived = await asyncio.wait_for(consumer, timeout=60)
    replayed = time.monotonic()

    assert (summary.replayed, summary.skipped, summary.failed) == (COUNT, 0, 0)
    assert sorted(o.letter.message_id for o in outcomes if o.action is Action.REPLAYED) == sorted(sent)
    assert await queue_depth(queues.dlq_url) == (0, 0)
    ids = [json.loads(body)["NotificationMetadata"]["NotificationId"] for body in arrived]
    assert sorted(ids) == sorted(notification_id_of(n) for n in notifications)
    print(f"filled the DLQ in {filled - started:.1f}s, replayed {COUNT} in {replayed - filled:.1f}s")


async def consume(sqs: Any, queue_url: str, count: int) -> list[str]:
    """Receive and delete until ``count`` messages have arrived; their bodies."""
    bodies: list[str] = []
    while len(bodies) < count:
        response = await sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        messages = response.get("Messages", [])
        if messages:
            await sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
            bodies.extend(m["Body"] for m in messages)
    return bodies
