"""``spapi-notify subscriptions``: plan, apply, list and delete SP-API notification subscriptions."""

from __future__ import annotations

import typer

subscriptions_app = typer.Typer(help="Notification destinations and subscriptions.", no_args_is_help=True)


@subscriptions_app.command("plan")
def plan() -> None:
    """Show what apply would change (not built yet)."""
    raise typer.Exit(2)
