"""``spapi-notify demo``: the whole product offline."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated

import typer

from consumer.cli.support import fail, run_async
from consumer.ops.log_config import configure_logging

# What the `demo` extra installs: the embedded AWS emulator and the offline SP-API's web server.
DEMO_MODULES = ("moto", "starlette", "uvicorn")


def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo's database and reports go (recreated)")
    ] = Path("spapi-notify-demo"),
) -> None:
    """Run the whole product offline: local SQS/EventBridge, the SP-API sandbox, SQLite. Exits 0 when done."""
    missing = [name for name in DEMO_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise fail(
            f"the demo needs the `demo` install extra ({', '.join(missing)} not installed): "
            "pip install 'spapi-notify[demo]', or run ./scripts/demo from a checkout"
        )
    from consumer.demo.run import run_demo  # noqa: PLC0415 (moto is an optional dependency)
    from consumer.demo.summary import render  # noqa: PLC0415

    configure_logging("warning", "console")
    result = run_async(run_demo(directory.resolve(), typer.echo))
    database = result.directory / "spapi-notify.db"
    for line in render(result.summary, str(database)):
        typer.echo(line)
    typer.echo(f"\nDone. Everything the demo made is in {result.directory}.")
