"""``spapi-notify reconcile``: sweep sellers' orders with searchOrders now, as the daemon does periodically.

Exit codes: 0 every seller reconciled (or, with --dry-run, compared), 1 some sweep failed, paused on
searchOrders' quota, or found another replica sweeping the seller (what was committed stays; run again), 2
the settings, the database or an option is wrong and nothing was called.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from consumer.app.reconcile import open_sweeper
from consumer.cli.support import fail, load_settings, run_async
from consumer.reconcile.many import Totals, sweep_sellers
from consumer.reconcile.progress import NoProgress, Progress, TerminalProgress
from consumer.reconcile.result import SweepResult
from store.seller_directory import UnknownSeller


def _parse_since(value: str | None, grace: float) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--since: {value!r} is not an ISO 8601 date or date-time") from None
    parsed = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    if parsed > datetime.now(UTC) - timedelta(seconds=grace):
        raise fail(
            f"--since: {value} is not at least {grace:g} s ago (SPAPI_NOTIFY_RECONCILE_GRACE: a sweep ends "
            "that long before now)"
        )
    return parsed


def reconcile(
    seller: Annotated[
        list[str] | None,
        typer.Option("--seller", help="Sweep this seller (repeatable); default: every seller we hold"),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Sweep orders changed since this ISO time (UTC unless it says), instead of from each "
            "seller's high-water mark"
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Search and compare with the tables; write nothing")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON lines: one per seller, then a summary")
    ] = False,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Sellers swept at once")] = 4,
) -> None:
    """Make the order tables match Amazon: searchOrders since each seller's last sweep, missed orders
    written through the same guard as notifications."""
    settings = load_settings()
    start = _parse_since(since, settings.reconcile_grace)
    show_progress = not as_json and sys.stderr.isatty()

    async def go() -> list[SweepResult]:
        async with open_sweeper(settings, concurrency=concurrency) as sweeper:
            if seller:
                for seller_id in seller:
                    await sweeper.sellers.credentials(seller_id)  # UnknownSeller before any call
                seller_ids = list(dict.fromkeys(seller))
            else:
                seller_ids = await sweeper.sellers.known_ids()
            progress: Progress = (
                TerminalProgress(len(seller_ids), sys.stderr) if show_progress else NoProgress()
            )
            try:
                return await sweep_sellers(
                    sweeper,
                    seller_ids,
                    concurrency=concurrency,
                    since=start,
                    dry_run=dry_run,
                    progress=progress,
                )
            finally:
                if isinstance(progress, TerminalProgress):
                    progress.close()

    try:
        results = run_async(go())
    except UnknownSeller as exc:
        raise fail(str(exc)) from None
    totals = Totals.of(results)
    for result in results:
        typer.echo(json.dumps({"kind": "seller", **result.as_json()}) if as_json else result.line())
    typer.echo(json.dumps(totals.as_json()) if as_json else totals.line(dry_run=dry_run))
    if not totals.all_done:
        raise typer.Exit(1)
