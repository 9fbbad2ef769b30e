"""The ``spapi-notify`` command line."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import httpx
import typer
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from consumer.log_setup import configure_logging
from consumer.plugins import PluginError
from consumer.settings import Settings, SettingsError
from consumer.sqs import QueueConfigurationError
from store.engine import UnsupportedDatabase, create_engine
from store.migrate import DatabaseNotMigrated, upgrade

T = TypeVar("T")

app = typer.Typer(
    name="spapi-notify",
    help="Consume Amazon SP-API notifications from SQS into your database, exactly once.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")

# Errors that mean "the configuration or environment is wrong": one clear line and exit 2, no traceback.
SETUP_ERRORS = (SettingsError, DatabaseNotMigrated, QueueConfigurationError, UnsupportedDatabase, PluginError)


@app.callback()
def _root() -> None:
    """Consume Amazon SP-API notifications from SQS into your database, exactly once."""


def load_settings() -> Settings:
    """Settings, or a clear exit when they are invalid."""
    try:
        settings = Settings()
    except ValidationError as exc:
        typer.echo(f"invalid settings:\n{exc}", err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level, settings.log_format)
    return settings


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; setup errors become one line on stderr and exit 2."""
    try:
        return asyncio.run(coroutine)
    except SETUP_ERRORS as exc:
        raise fail(str(exc)) from None
    except (ClientError, BotoCoreError) as exc:
        raise fail(f"AWS: {exc}") from None


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
