"""The ``spapi-notify`` command line: the root app; each command group lives in a module of its own."""

from __future__ import annotations

import typer

from consumer.cli.changes import changes
from consumer.cli.daemon import health, run, show_settings
from consumer.cli.database import db_app
from consumer.cli.demo import demo
from consumer.cli.dlq import dlq_app, replay
from consumer.cli.doctor import doctor
from consumer.cli.reconcile import reconcile
from consumer.cli.sellers import sellers_app
from consumer.cli.subscriptions import subscriptions_app
from consumer.settings import SettingsError

__all__ = ["app", "main"]

app = typer.Typer(
    name="spapi-notify",
    help="Consume Amazon SP-API notifications from SQS into your database, exactly once.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("settings")(show_settings)
app.command("run")(run)
app.command("health")(health)
app.command("demo")(demo)
app.command("doctor")(doctor)
app.add_typer(db_app, name="db")
app.add_typer(sellers_app, name="sellers")
app.add_typer(subscriptions_app, name="subscriptions")
app.add_typer(dlq_app, name="dlq")
app.command("replay")(replay)
app.command("changes")(changes)
app.command("reconcile")(reconcile)


@app.callback()
def _root() -> None:
    """Consume Amazon SP-API notifications from SQS into your database, exactly once."""


def main() -> None:
    """The console script: run the app; a SettingsError is one line on stderr and exit status 2."""
    try:
        app()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
