"""``spapi-notify changes``: the change feed as JSON lines, from a cursor; once, or following it.

Each line is one change, in commit order: ``{"cursor", "table", "key", "operation", "notification_id",
"recorded_at"}``. A follower stores the cursor of the last line it has handled and passes it to ``--since``
next time. Exit status: 0 done (or interrupted), 2 bad arguments or settings, 3 the cursor cannot be resumed
from (changes after it were pruned, or it belongs to another database): read the tables afresh.
"""

from __future__ import annotations

import json
from contextlib import aclosing
from datetime import UTC
from typing import Annotated

import typer

from consumer.changes.follower import Follower
from consumer.cli.support import fail, load_settings, run_async
from store.changes.listen import ListenerLost
from store.changes.read import FEED_TABLES, Change, CursorError, parse_cursor
from store.engine import create_engine
from store.migrate import ensure_current

CURSOR_EXPIRED = 3


def change_line(change: Change) -> str:
    """One change as its JSON line."""
    recorded = change.recorded_at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    return json.dumps(
        {
            "cursor": change.cursor,
            "table": change.table,
            "key": change.key,
            "operation": change.operation,
            "notification_id": change.notification_id,
            "recorded_at": recorded,
        },
        separators=(",", ":"),
    )


def changes(
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Resume after this cursor (from a printed line); 0: the oldest change kept; now: from now",
        ),
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep waiting for new changes (PostgreSQL: LISTEN/NOTIFY)")
    ] = False,
    table: Annotated[
        list[str] | None,
        typer.Option("--table", help=f"Only this table's changes (repeatable): {', '.join(FEED_TABLES)}"),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Stop after this many changes")] = None,
    head: Annotated[
        bool, typer.Option("--head", help='Print the newest change\'s cursor as {"cursor": ...} and exit')
    ] = False,
) -> None:
    """Print the change feed as JSON lines, in commit order, after --since CURSOR (see the README)."""
    tables = list(dict.fromkeys(table or []))
    unknown = [name for name in tables if name not in FEED_TABLES]
    if unknown:
        raise fail(f"--table {unknown[0]!r}: the change feed covers {', '.join(FEED_TABLES)}")
    if head == (since is not None):
        raise fail("give --since CURSOR (or 0, or now), or --head")
    after = None
    if since is not None and since.strip().lower() != "now":
        try:
            after = parse_cursor(since)
        except CursorError as exc:
            raise fail(str(exc)) from None
    settings = load_settings()

    async def go() -> None:
        engine = create_engine(settings.database_url)
        try:
            await ensure_current(engine)
            follower = Follower(engine, tables=tables)
            if head:
                typer.echo(json.dumps({"cursor": str(await follower.head())}))
                return
            start = await follower.head() if after is None else after
            printed = 0
            # Closed before the engine is disposed: on PostgreSQL it holds the LISTEN connection.
            async with aclosing(follower.follow(start, forever=follow)) as batches:
                async for batch in batches:
                    for change in batch:
                        typer.echo(change_line(change))
                        printed += 1
                        if limit is not None and printed >= limit:
                            return
        finally:
            await engine.dispose()

    try:
        run_async(go())
    except CursorError as exc:
        raise fail(str(exc), CURSOR_EXPIRED) from None
    except ListenerLost as exc:
        raise fail(f"{exc}: run the command again from the last cursor printed", 1) from None
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
