"""Schema migrations (Alembic) run from code: `spapi-notify db upgrade`, and the daemon's start-up check."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class DatabaseNotMigrated(RuntimeError):
    """The database schema is not the one this version of spapi-notify needs."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for store/migrations, run on ``connection`` when one is given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration: the revision this version of spapi-notify needs."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "store/migrations has no revisions"
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's migration revision; None when it was never migrated."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> tuple[str | None, str]:
    """Apply the migrations up to ``revision``; returns the revisions before and after."""
    before = await current_revision(engine)
    async with engine.connect() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))
        await connection.commit()
    after = await current_revision(engine)
    assert after is not None
    return before, after


def _known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


async def ensure_current(engine: AsyncEngine) -> None:
    """Raise DatabaseNotMigrated, saying what to run, unless the database is at the head revision."""
    current = await current_revision(engine)
    head = head_revision()
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    if current is None:
        raise DatabaseNotMigrated(
            f"the database {where} has no spapi-notify schema: run `spapi-notify db upgrade` first"
        )
    if not _known(current):
        raise DatabaseNotMigrated(
            f"the database {where} is at schema revision {current}, which this version of spapi-notify does "
            "not know: it was migrated by a newer version; run that version"
        )
    raise DatabaseNotMigrated(
        f"the database {where} is at schema revision {current}, this version of spapi-notify needs {head}: "
        "run `spapi-notify db upgrade`"
    )
