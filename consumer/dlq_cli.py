"""``spapi-notify replay`` and ``spapi-notify dlq``: look at dead-lettered messages and bring them back."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import aioboto3
import typer
from aiobotocore.config import AioConfig
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.cli_support import fail, load_settings, run_async
from consumer.dlq_messages import DeadLetter, find
from consumer.dlq_scan import DEFAULT_HOLD_SECONDS, DlqScan
from consumer.move_task import MoveTaskStatus, MoveTaskUnavailable, start_move_task, wait_move_task
from consumer.replay import Action, Outcome, Replayer, Selection, Summary, Targets
from consumer.settings import Settings
from consumer.sqs import Queue, QueueConfigurationError, dead_letter_queue_url
from store.engine import create_engine
from store.migrate import DatabaseNotMigrated, ensure_current

dlq_app = typer.Typer(help="Look at the dead-letter queue.", no_args_is_help=True)

SHOW_HOLD_SECONDS = 120

DlqUrlOption = Annotated[
    str | None,
    typer.Option(
        "--dlq-url",
        help="The DLQ; default SPAPI_NOTIFY_DLQ_URL, else the RedrivePolicy of SPAPI_NOTIFY_QUEUE_URL",
    ),
]


def _client_config(*, retries: int = 5) -> AioConfig:
    return AioConfig(
        retries={"mode": "standard", "max_attempts": retries}, connect_timeout=10, read_timeout=30
    )


async def _resolve_dlq(client: Any, settings: Settings, dlq_url: str | None) -> Queue:
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


def _usable_database(settings: Settings, wanted: bool) -> bool:
    if not wanted:
        return False
    url = make_url(settings.database_url)
    # Connecting to a missing SQLite file would create an empty database.
    return url.get_backend_name() != "sqlite" or bool(url.database and Path(url.database).exists())


@asynccontextmanager
async def _optional_engine(settings: Settings, wanted: bool) -> AsyncIterator[AsyncEngine | None]:
    """The ledger database for first-failure reasons, when there is a usable one; replay works without."""
    if not wanted:
        yield None
        return
    engine = create_engine(settings.database_url)
    try:
        try:
            await ensure_current(engine)
        except (DatabaseNotMigrated, SQLAlchemyError, OSError) as exc:
            typer.echo(f"note: no first-failure reasons from the database ({exc})", err=True)
            yield None
            return
        yield engine
    finally:
        await engine.dispose()


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"{option}: {value!r} is not an ISO 8601 date or date-time") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _line(outcome: Outcome) -> str:
    letter = outcome.letter
    fields = [
        f"{outcome.action.value:<12}",
        letter.message_id,
        letter.notification_type or "-",
        f"seller={letter.seller or '-'}",
        f"notification={letter.notification_id or '-'}",
        f"reason={letter.reason or '-'}",
        f"receives={letter.receive_count}",
    ]
    if letter.problem:
        fields.append(f"body: {letter.problem}")
    if outcome.detail:
        fields.append(f"({outcome.detail})")
    return "  ".join(fields)


@dataclass
class _Printer:
    """Per-message output: JSON lines as they come, else readable lines (after the progress bar, if any)."""

    as_json: bool
    progress: Any = None
    buffered: list[str] | None = None

    def __call__(self, outcome: Outcome) -> None:
        if self.progress is not None:
            self.progress.update(1)
        if self.as_json:
            typer.echo(json.dumps(outcome.to_json()))
            return
        if outcome.action is Action.SKIPPED:
            return  # counted in the summary; the listing is for what was (or would be) replayed
        if self.buffered is not None:
            self.buffered.append(_line(outcome))
        else:
            typer.echo(_line(outcome))

    def flush(self) -> None:
        for line in self.buffered or ():
            typer.echo(line)
        self.buffered = None


@contextmanager
def _progress(printer: _Printer, length: int) -> Iterator[None]:
    if printer.as_json or not sys.stderr.isatty():
        yield
        return
    with typer.progressbar(length=max(length, 1), label="scanning the DLQ", file=sys.stderr) as bar:
        printer.progress, printer.buffered = bar, []
        yield
    printer.progress = None
    printer.flush()


async def _approximate_depth(queue: Queue) -> int:
    response = await queue.client.get_queue_attributes(
        QueueUrl=queue.url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(response.get("Attributes", {}).get("ApproximateNumberOfMessages", 0))


async def _try_move_task(session: Any, dlq: Queue, target_url: str, as_json: bool) -> Summary | None:
    """The whole DLQ moved by SQS itself, or None when the endpoint cannot (then replay moves it)."""
    # One attempt only: an endpoint without the operation answers with a server error that retrying
    # would only repeat.
    async with session.client("sqs", config=_client_config(retries=1)) as client:
        dlq_arn = (await Queue(client, dlq.url).attributes()).arn
        target_arn = (await Queue(client, target_url).attributes()).arn
        try:
            handle = await start_move_task(client, dlq_arn, target_arn)
        except MoveTaskUnavailable as exc:
            typer.echo(
                f"note: StartMessageMoveTask unavailable ({exc}); moving messages in batches", err=True
            )
            return None

        def progress(status: MoveTaskStatus) -> None:
            if as_json:
                typer.echo(json.dumps({"kind": "move_task", "handle": handle, "status": status.status,
                                       "moved": status.moved, "to_move": status.to_move}))  # fmt: skip
            else:
                typer.echo(
                    f"move task {status.status}: {status.moved}/{status.to_move or '?'} moved", err=True
                )

        status = await wait_move_task(client, dlq_arn, handle, progress)
    summary = Summary(dry_run=False, replayed=status.moved, selected=status.moved, move_task=handle)
    if not status.succeeded:
        summary.failed = 1
        typer.echo(
            f"error: move task {status.status}: {status.failure_reason or 'no reason given'}", err=True
        )
    return summary


@dataclass(frozen=True)
class ReplayRequest:
    dlq_url: str | None
    to_queue_url: str | None
    selection: Selection
    dry_run: bool
    as_json: bool
    hold_seconds: int
    use_database: bool
    use_move_task: bool


async def _replay(settings: Settings, request: ReplayRequest) -> Summary:
    session = aioboto3.Session()
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(session.client("sqs", config=_client_config()))
        dlq = await _resolve_dlq(client, settings, request.dlq_url)
        target_url = request.to_queue_url or settings.queue_url
        if request.use_move_task and request.selection.everything and not request.dry_run and target_url:
            summary = await _try_move_task(session, dlq, target_url, request.as_json)
            if summary is not None:
                return summary
        engine = await stack.enter_async_context(_optional_engine(settings, request.use_database))
        printer = _Printer(request.as_json)
        replayer = Replayer(
            DlqScan(dlq, hold_seconds=request.hold_seconds),
            Targets(client, target_url),
            request.selection,
            dry_run=request.dry_run,
            engine=engine,
            on_outcome=printer,
        )
        with _progress(printer, await _approximate_depth(dlq) if not request.as_json else 0):
            return await replayer.run()
    raise AssertionError("unreachable")  # pragma: no cover (mypy cannot see that the block returns)


def replay(  # noqa: PLR0917 (typer maps each parameter to an option)
    dlq_url: DlqUrlOption = None,
    to_queue_url: Annotated[
        str | None,
        typer.Option(
            "--to-queue-url",
            help="Where to send messages; default SPAPI_NOTIFY_QUEUE_URL, else each message's source queue",
        ),
    ] = None,
    notification_type: Annotated[
        list[str] | None, typer.Option("--type", help="Only this notification type (repeatable)")
    ] = None,
    seller: Annotated[
        list[str] | None, typer.Option("--seller", help="Only this seller id (repeatable)")
    ] = None,
    reason: Annotated[
        list[str] | None,
        typer.Option("--reason", help="Only this failure reason, e.g. schema_violation (repeatable)"),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only failures at or after this ISO time (UTC unless it says)")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Only failures before this ISO time")] = None,
    max_messages: Annotated[
        int | None, typer.Option("--max", min=1, help="Replay at most this many messages")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be replayed; move nothing")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON lines: one per message, then a summary")
    ] = False,
    hold: Annotated[
        int,
        typer.Option(
            min=1, max=43_200, help="Seconds each message read stays hidden during the scan (not longer)"
        ),
    ] = DEFAULT_HOLD_SECONDS,
    database: Annotated[
        bool,
        typer.Option(help="Read first-failure reasons of redriven messages from SPAPI_NOTIFY_DATABASE_URL"),
    ] = True,
    move_task: Annotated[
        bool, typer.Option(help="Without filters, let SQS move the whole DLQ (StartMessageMoveTask)")
    ] = True,
) -> None:
    """Move dead-lettered messages back to the source queue (send, then delete: duplicates, never loss)."""
    settings = load_settings()
    request = ReplayRequest(
        dlq_url=dlq_url,
        to_queue_url=to_queue_url,
        selection=Selection.of(
            types=notification_type or (),
            sellers=seller or (),
            reasons=reason or (),
            since=_parse_time(since, "--since"),
            until=_parse_time(until, "--until"),
            limit=max_messages,
        ),
        dry_run=dry_run,
        as_json=as_json,
        hold_seconds=hold,
        use_database=_usable_database(settings, database),
        use_move_task=move_task,
    )
    summary = run_async(_replay(settings, request))
    if as_json:
        typer.echo(json.dumps(summary.to_json()))
    else:
        typer.echo(summary.line())
    if summary.release_refused:
        typer.echo(
            f"warning: {summary.release_refused} message(s) could not be made visible again; they return "
            f"when their {hold}s hold runs out",
            err=True,
        )
    if summary.failed or summary.release_refused:
        raise typer.Exit(1)


async def _show(settings: Settings, dlq_url: str | None, wanted: str) -> DeadLetter | None:
    session = aioboto3.Session()
    async with session.client("sqs", config=_client_config()) as client:
        dlq = await _resolve_dlq(client, settings, dlq_url)
        return await find(DlqScan(dlq, hold_seconds=SHOW_HOLD_SECONDS), wanted)


@dlq_app.command("show")
def show(
    message_id: Annotated[
        str, typer.Argument(help="SQS MessageId (in the DLQ or the source queue) or notification id")
    ],
    dlq_url: DlqUrlOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object")] = False,
) -> None:
    """Print one dead-lettered message's body and attributes (it stays in the DLQ)."""
    settings = load_settings()
    letter = run_async(_show(settings, dlq_url, message_id))
    if letter is None:
        raise fail(f"{message_id}: no such message in the DLQ", code=1)
    message = letter.message
    if as_json:
        typer.echo(
            json.dumps(
                {
                    **letter.to_json(),
                    "attributes": dict(message.attributes),
                    "message_attributes": dict(message.message_attributes),
                    "body": message.body,
                }
            )
        )
        return
    for name, value in letter.to_json().items():
        typer.echo(f"{name + ':':<19} {value if value is not None else '-'}")
    typer.echo("system attributes:")
    for name, value in sorted(message.attributes.items()):
        typer.echo(f"  {name}: {value}")
    typer.echo("message attributes:")
    for name, value in sorted(message.message_attributes.items()):
        shown = value.get("StringValue", "<binary>") if isinstance(value, dict) else value
        typer.echo(f"  {name}: {shown}")
    typer.echo("body:")
    typer.echo(message.body)
