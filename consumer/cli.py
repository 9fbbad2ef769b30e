"""The ``spapi-notify`` command line."""

from __future__ import annotations

import json

import typer
from pydantic import ValidationError

from consumer.log_setup import configure_logging
from consumer.settings import Settings, SettingsError

app = typer.Typer(
    name="spapi-notify",
    help="Consume Amazon SP-API notifications from SQS into your database, exactly once.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


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


@app.command("settings")
def show_settings() -> None:
    """Print the effective settings (secrets masked) as JSON."""
    settings = load_settings()
    typer.echo(json.dumps(settings.model_dump(mode="json"), indent=2, sort_keys=True))


def main() -> None:
    try:
        app()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
