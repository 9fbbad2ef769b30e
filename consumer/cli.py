"""The ``spapi-notify`` command line: the root app; each command group lives in a module of its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import httpx
import typer

from consumer.cli_support import SETUP_ERRORS, fail, load_settings, run_async
from consumer.dlq_cli import dlq_app, replay
from consumer.log_setup import configure_logging
from consumer.sellers_cli import sellers_app
from consumer.settings import SettingsError
from store.engine import create_engine
from store.migrate import upgrade
from subscriptions.cli import subscriptions_app

__all__ = ["SETUP_ERRORS", "app", "main"]

app = typer.Typer(
    name="spapi-notify",
    help="Consume Amazon SP-API notifications from SQS into your database, exactly once.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sellers_app, name="sellers")
app.add_typer(subscriptions_app, name="subscriptions")
app.add_typer(dlq_app, name="dlq")
app.command("replay")(replay)


@app.callback()
def _root() -> None:
    """Consume Amazon SP-API notifications from SQS into your database, exactly once."""


@app.command("settings")
def show_settings() -> None:
    """Print the effective settings (secrets masked) as JSON."""
    settings = load_settings()
    typer.echo(json.dumps(settings.model_dump(mode="json"), indent=2, sort_keys=True))


@app.command()
def run() -> None:
    """Run the daemon: consume SPAPI_NOTIFY_QUEUE_URL until SIGTERM or SIGINT."""
    from consumer.app import run_daemon  # noqa: PLC0415 (keeps `spapi-notify health` light and fast)

    settings = load_settings()
    run_async(run_daemon(settings))


@app.command()
def health(
    ready: Annotated[
        bool, typer.Option("--ready", help="Check readiness (/readyz) instead of liveness")
    ] = False,
    url: Annotated[str | None, typer.Option(help="Base URL of the daemon's HTTP endpoint")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for an answer")] = 5.0,
) -> None:
    """Exit 0 when the local daemon is healthy (for a container HEALTHCHECK), 1 when it is not."""
    settings = load_settings()
    if url is None:
        if settings.metrics_port is None:
            raise fail("SPAPI_NOTIFY_METRICS_PORT is unset: the daemon serves no health endpoint")
        url = f"http://127.0.0.1:{settings.metrics_port}"
    path = "/readyz" if ready else "/healthz"
    try:
        response = httpx.get(url.rstrip("/") + path, timeout=timeout)
    except httpx.HTTPError as exc:
        typer.echo(f"unhealthy: {url}{path} did not answer: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(response.text.strip())
    if response.status_code != 200:
        raise typer.Exit(1)


@app.command()
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo's database and reports go (recreated)")
    ] = Path("spapi-notify-demo"),
) -> None:
    """Run the whole product offline: local SQS/EventBridge, the SP-API sandbox, SQLite. Exits 0 when done."""
    from consumer.demo.run import run_demo  # noqa: PLC0415 (moto is an optional dependency)
    from consumer.demo.summary import render  # noqa: PLC0415

    configure_logging("warning", "console")
    result = run_async(run_demo(directory.resolve(), typer.echo))
    database = result.directory / "spapi-notify.db"
    for line in render(result.summary, str(database)):
        typer.echo(line)
    typer.echo(f"\nDone. Everything the demo made is in {result.directory}.")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Create or migrate the schema of SPAPI_NOTIFY_DATABASE_URL."""
    settings = load_settings()

    async def go() -> tuple[str | None, str, str]:
        engine = create_engine(settings.database_url)
        try:
            before, after = await upgrade(engine, revision)
            return before, after, engine.url.render_as_string(hide_password=True)
        finally:
            await engine.dispose()

    before, after, where = run_async(go())
    if before == after:
        typer.echo(f"{where}: already at revision {after}")
    else:
        typer.echo(f"{where}: upgraded from {before or 'an empty database'} to revision {after}")


def main() -> None:
    try:
        app()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
