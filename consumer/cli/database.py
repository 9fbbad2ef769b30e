"""``spapi-notify db``: the database schema (Alembic migrations)."""

from __future__ import annotations

from typing import Annotated

import typer

from consumer.cli.support import load_settings, run_async
from store.engine import create_engine
from store.migrate import upgrade

db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


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
