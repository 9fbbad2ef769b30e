"""``spapi-notify replay`` and ``spapi-notify dlq``: look at dead-lettered messages and bring them back."""

from __future__ import annotations

import typer

from consumer.cli_support import fail

dlq_app = typer.Typer(help="Look at the dead-letter queue.", no_args_is_help=True)


def replay() -> None:
    """Move dead-lettered messages back to the source queue (not built yet)."""
    raise fail("replay is not built yet")


@dlq_app.command("show")
def show(message_id: str) -> None:
    """Print one dead-lettered message's body and attributes (not built yet)."""
    raise fail(f"dlq show {message_id}: not built yet")
