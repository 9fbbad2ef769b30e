"""Wiring the DLQ tools from settings: which DLQ and target queue, the optional ledger database, the run.

The commands in consumer/cli/dlq.py parse options and print; everything that needs settings happens here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aioboto3
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.dlq.letters import DlqMessage, find
from consumer.dlq.move_task import MoveTaskStatus, MoveTaskUnavailable, start_move_task, wait_move_task
from consumer.dlq.replay import Replayer, ReplayOutcome, Selection, Summary, Targets
from consumer.dlq.scan import DlqScan
from consumer.intake.client import sqs_client
from consumer.intake.queue import Queue, QueueConfigurationError, dead_letter_queue_url
from consumer.settings import Settings
from store.engine import create_engine
from store.migrate import DatabaseNotMigrated, ensure_current

SHOW_HOLD_SECONDS = 120

Say = Callable[[str], None]


async def resolve_dlq(client: Any, settings: Settings, dlq_url: str | None) -> Queue:
    """--dlq-url, else SPAPI_NOTIFY_DLQ_URL, else the RedrivePolicy of SPAPI_NOTIFY_QUEUE_URL."""
    if dlq_url:
        return Queue(client, dlq_url)
    if settings.dlq_url:
        return Queue(client, settings.dlq_url)
    if not settings.queue_url:
        raise QueueConfigurationError(
            "which DLQ? pass --dlq-url, or set SPAPI_NOTIFY_QUEUE_URL (its RedrivePolicy names the DLQ) "
            "or SPAPI_NOTIFY_DLQ_URL"
        )
    source = Queue(client, settings.queue_url)
    return Queue(client, await dead_letter_queue_url(client, source, None))


def usable_database(settings: Settings, wanted: bool) -> bool:
    """Whether replay may use the ledger database: wanted, and not a SQLite file that does not exist."""
    if not wanted:
        return False
    url = make_url(settings.database_url)
    # Connecting to a missing SQLite file would create an empty database.
    return url.get_backend_name() != "sqlite" or bool(url.database and Path(url.database).exists())


@asynccontextmanager
async def optional_engine(settings: Settings, wanted: bool, note: Say) -> AsyncIterator[AsyncEngine | None]:
    """The ledger database for first-failure reasons, when there is a usable one; replay works without."""
    if not wanted:
        yield None
        return
    engine = create_engine(settings.database_url)
    try:
        try:
            await ensure_current(engine)
        except (DatabaseNotMigrated, SQLAlchemyError, OSError) as exc:
            note(f"note: no first-failure reasons from the database ({exc})")
            yield None
            return
        yield engine
    finally:
        await engine.dispose()


async def approximate_depth(queue: Queue) -> int:
    """SQS's estimate of the messages visible in the queue (ApproximateNumberOfMessages)."""
    response = await queue.client.get_queue_attributes(
        QueueUrl=queue.url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(response.get("Attributes", {}).get("ApproximateNumberOfMessages", 0))


async def try_move_task(
    session: aioboto3.Session,
    dlq: Queue,
    target_url: str,
    note: Say,
    progress: Callable[[str, MoveTaskStatus], None],
) -> Summary | None:
    """The whole DLQ moved by SQS itself, or None when the endpoint cannot (then replay moves it)."""
    # One attempt only: an endpoint without the operation answers with a server error that retrying
    # would only repeat.
    async with sqs_client(session, retries=1) as client:
        dlq_arn = (await Queue(client, dlq.url).attributes()).arn
        target_arn = (await Queue(client, target_url).attributes()).arn
        try:
            handle = await start_move_task(client, dlq_arn, target_arn)
        except MoveTaskUnavailable as exc:
            note(f"note: StartMessageMoveTask unavailable ({exc}); moving messages in batches")
            return None
        status = await wait_move_task(client, dlq_arn, handle, lambda status: progress(handle, status))
    summary = Summary(dry_run=False, replayed=status.moved, selected=status.moved, move_task=handle)
    if not status.succeeded:
        summary.failed = 1
        note(f"error: move task {status.status}: {status.failure_reason or 'no reason given'}")
    return summary


@dataclass(frozen=True)
class ReplayRequest:
    """What `spapi-notify replay` was asked to do."""

    dlq_url: str | None
    to_queue_url: str | None
    selection: Selection
    dry_run: bool
    hold_seconds: int
    use_database: bool
    use_move_task: bool


@dataclass(frozen=True)
class ReplayReporting:
    """How a replay run talks back: per message, notes, move-task progress, and around the scan (given the
    DLQ's approximate depth when ``wants_depth``)."""

    on_outcome: Callable[[ReplayOutcome], None]
    note: Say
    move_task_progress: Callable[[str, MoveTaskStatus], None]
    scanning: Callable[[int], AbstractContextManager[None]]
    wants_depth: bool


async def run_replay(settings: Settings, request: ReplayRequest, reporting: ReplayReporting) -> Summary:
    """Replay the DLQ as ``request`` asks; an unfiltered replay may use SQS's move task instead."""
    session = aioboto3.Session()
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(sqs_client(session))
        dlq = await resolve_dlq(client, settings, request.dlq_url)
        target_url = request.to_queue_url or settings.queue_url
        if request.use_move_task and request.selection.everything and not request.dry_run and target_url:
            summary = await try_move_task(
                session, dlq, target_url, reporting.note, reporting.move_task_progress
            )
            if summary is not None:
                return summary
        engine = await stack.enter_async_context(
            optional_engine(settings, request.use_database, reporting.note)
        )
        replayer = Replayer(
            DlqScan(dlq, hold_seconds=request.hold_seconds),
            Targets(client, target_url),
            request.selection,
            dry_run=request.dry_run,
            engine=engine,
            on_outcome=reporting.on_outcome,
        )
        with reporting.scanning(await approximate_depth(dlq) if reporting.wants_depth else 0):
            return await replayer.run()
    raise AssertionError("unreachable")  # pragma: no cover (mypy cannot see that the block returns)


async def find_in_dlq(settings: Settings, dlq_url: str | None, wanted: str) -> DlqMessage | None:
    """The DLQ message with this MessageId, notification id or original MessageId (it stays in the DLQ)."""
    async with sqs_client(aioboto3.Session()) as client:
        dlq = await resolve_dlq(client, settings, dlq_url)
        return await find(DlqScan(dlq, hold_seconds=SHOW_HOLD_SECONDS), wanted)
