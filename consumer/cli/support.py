"""What every ``spapi-notify`` command shares: loading settings, one-line errors, running a coroutine."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import typer
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from consumer.app.plugins import PluginError
from consumer.app.startup import DatabaseUnreachable
from consumer.intake.queue import QueueConfigurationError
from consumer.ops.log_config import configure_logging
from consumer.ops.redact import mask_passwords
from consumer.settings import Settings, SettingsError
from store.engine import UnsupportedDatabase
from store.migrate import DatabaseNotMigrated
from store.token_cipher import EncryptionKeyError

T = TypeVar("T")

# Errors that mean "the configuration or environment is wrong": one clear line and exit 2, no traceback.
SETUP_ERRORS = (
    SettingsError,
    DatabaseUnreachable,
    DatabaseNotMigrated,
    QueueConfigurationError,
    UnsupportedDatabase,
    PluginError,
    EncryptionKeyError,
)


def load_settings() -> Settings:
    """Settings, or a clear exit when they are invalid."""
    try:
        settings = Settings()
    except ValidationError as exc:
        typer.echo(f"invalid settings:\n{mask_passwords(str(exc))}", err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level, settings.log_format)
    return settings


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error on stderr; returns the Exit (status ``code``) for the caller to raise."""
    typer.echo(f"error: {mask_passwords(message)}", err=True)
    return typer.Exit(code)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; setup errors become one line on stderr and exit 2."""
    try:
        return asyncio.run(coroutine)
    except SETUP_ERRORS as exc:
        raise fail(str(exc)) from None
    except (ClientError, BotoCoreError) as exc:
        raise fail(f"AWS: {exc}") from None
