"""``spapi-notify replay`` and ``spapi-notify dlq``: look at dead-lettered messages and bring them back."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from consumer.app.dlq import ReplayReporting, ReplayRequest, find_in_dlq, run_replay, usable_database
from consumer.cli.support import fail, load_settings, run_async
from consumer.dlq.move_task import MoveTaskStatus
from consumer.dlq.replay import Action, ReplayOutcome, Selection
from consumer.dlq.scan import DEFAULT_HOLD_SECONDS

dlq_app = typer.Typer(help="Look at the dead-letter queue.", no_args_is_help=True)

DlqUrlOption = Annotated[
    str | None,
    typer.Option(
        "--dlq-url",
        help="The DLQ; default SPAPI_NOTIFY_DLQ_URL, else the RedrivePolicy of SPAPI_NOTIFY_QUEUE_URL",
    ),
]


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"{option}: {value!r} is not an ISO 8601 date or date-time") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _line(outcome: ReplayOutcome) -> str:
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

    def __call__(self, outcome: ReplayOutcome) -> None:
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


def _note(text: str) -> None:
    typer.echo(text, err=True)


def _reporting(as_json: bool) -> ReplayReporting:
    printer = _Printer(as_json)

    def move_task_progress(handle: str, status: MoveTaskStatus) -> None:
        if as_json:
            typer.echo(json.dumps({"kind": "move_task", "handle": handle, "status": status.status,
                                   "moved": status.moved, "to_move": status.to_move}))  # fmt: skip
        else:
            typer.echo(f"move task {status.status}: {status.moved}/{status.to_move or '?'} moved", err=True)

    return ReplayReporting(
        on_outcome=printer,
        note=_note,
        move_task_progress=move_task_progress,
        scanning=lambda depth: _progress(printer, depth),
        wants_depth=not as_json,
    )


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
        hold_seconds=hold,
        use_database=usable_database(settings, database),
        use_move_task=move_task,
    )
    summary = run_async(run_replay(settings, request, _reporting(as_json)))
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
    letter = run_async(find_in_dlq(settings, dlq_url, message_id))
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
