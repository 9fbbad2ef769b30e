"""``spapi-notify doctor``: why notifications do not arrive, each cause named with its fix.

Exit codes: 0 every check passed (or does not apply), 1 a check found a problem, 2 a check could not be made
(and none found a problem), or the settings or the desired-state file are invalid.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from consumer.app.doctor import run_doctor
from consumer.cli.support import fail, load_settings, run_async
from consumer.doctor.check import exit_code, render
from consumer.ops.log_config import configure_logging
from subscriptions.config import ConfigError, DesiredConfig, load_config


def doctor(
    sellers: Annotated[
        list[str] | None,
        typer.Option("--seller", help="Check this seller (repeatable; default every seller we hold)"),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Desired-state file: check Amazon's subscriptions against it"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per check, one per line")] = False,
    silent_hours: Annotated[
        float,
        typer.Option(
            "--silent-hours", min=0.01, help="Flag ORDER_CHANGE silent this long while orders changed"
        ),
    ] = 24.0,
) -> None:
    """Check every cause of 'subscribed, but nothing arrives' (read-only): settings, database, queue and its
    policy, KMS, DLQ, EventBridge, LWA, subscriptions, traffic."""
    settings = load_settings()
    if settings.log_level == "info":
        # The checks' own SP-API and AWS calls would drown the report in request logs.
        configure_logging("warning", settings.log_format)
    desired: DesiredConfig | None = None
    if config is not None:
        try:
            desired = load_config(config)
        except ConfigError as exc:
            raise fail(str(exc)) from None
    checks = run_async(
        run_doctor(
            settings,
            sellers=sellers or [],
            desired=desired,
            desired_path=str(config) if config is not None else None,
            silent_after=timedelta(hours=silent_hours),
        )
    )
    if as_json:
        for check in checks:
            typer.echo(json.dumps(check.as_json(), sort_keys=True))
    else:
        for line in render(checks):
            typer.echo(line)
    raise typer.Exit(exit_code(checks))
