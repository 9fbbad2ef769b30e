"""How the daemon spends SQS calls: ready without waiting out a long poll, one poller on a quiet queue, every
call counted by operation."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.daemon.loop import Daemon
from store.engine import create_engine
from tests.builders import steered
from tests.fixtures.daemons import daemon_settings, migrate_for_daemons, running
from tests.fixtures.metrics import metric
from tests.fixtures.polling import eventually
from tests.fixtures.queues import create_queues, queue_depth, send
from tests.fixtures.tables import ledger

WAIT = 3  # the long poll's wait, seconds


def calls(daemon: Daemon, operation: str) -> float:
    return metric(daemon.metrics, "spapi_notify_sqs_calls_total", operation=operation)


async def migrated(url: str) -> AsyncEngine:
    engine = create_engine(url)
    await migrate_for_daemons(engine)
    return engine


async def test_ready_at_once_one_poller_while_quiet_and_every_call_counted(
    moto_server: str, sqlite_url: str
) -> None:
    engine = await migrated(sqlite_url)
    queues = await create_queues()
    settings = daemon_settings(queues, sqlite_url, pollers=4, receive_wait_seconds=WAIT)
    try:
        async with running(settings) as daemon:
            started = time.monotonic()

            async def ready() -> bool:
                return daemon.health.ready()[0]

            await eventually(ready, bool, deadline=WAIT - 0.5, what="ready before a long poll could end")
            assert time.monotonic() - started < WAIT
            # On a quiet queue only the first poller receives: a long poll at a time, not four.
            await asyncio.sleep(WAIT + 1)
            # the first (short) poll, a long one, the next begun; four pollers would have made eight
            assert calls(daemon, "ReceiveMessage") <= 4

            notes = [steered() for _ in range(30)]
            await send(queues.url, *notes)
            await eventually(lambda: ledger(engine), lambda rows: len(rows) == len(notes), what="processed")
            await eventually(lambda: queue_depth(queues.url), lambda depth: depth == (0, 0), what="deleted")
            answered = metric(daemon.metrics, "spapi_notify_receive_calls_total")
            assert answered <= calls(daemon, "ReceiveMessage") <= answered + 4  # counted when sent
            assert 3 <= calls(daemon, "DeleteMessageBatch") <= len(notes)  # batches of up to ten
            assert calls(daemon, "GetQueueAttributes") >= 1  # at start-up
    finally:
        await engine.dispose()
