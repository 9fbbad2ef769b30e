"""``spapi-notify run``, ``health`` and ``settings``: the daemon and what its container needs."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Annotated

import typer

from consumer.cli.support import fail, load_settings, run_async
from consumer.ops.redact import mask_passwords, masked


def show_settings() -> None:
    """Print the effective settings (secrets masked, passwords in URLs too) as JSON."""
    settings = load_settings()
    typer.echo(json.dumps(masked(settings.model_dump(mode="json")), indent=2, sort_keys=True))


def run() -> None:
    """Run the daemon: consume SPAPI_NOTIFY_QUEUE_URL until SIGTERM or SIGINT."""
    from consumer.app.wiring import run_daemon  # noqa: PLC0415 (keeps `spapi-notify health` light and fast)

    settings = load_settings()
    run_async(run_daemon(settings))


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
        with urllib.request.urlopen(url.rstrip("/") + path, timeout=timeout) as response:  # noqa: S310
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:  # 503: an answer, not ready
        status, body = exc.code, exc.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        problem = f"unhealthy: {url}{path} did not answer: {type(exc).__name__}: {exc}"
        typer.echo(mask_passwords(problem), err=True)
        raise typer.Exit(1) from None
    typer.echo(body.decode(errors="replace").strip())
    if status != 200:
        raise typer.Exit(1)
