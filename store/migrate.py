"""Schema migrations (Alembic) run from code: `spapi-notify db upgrade`, and the daemon's start-up check.

The start-up check needs no Alembic: the database's revision is one query against ``alembic_version``, and
the newest revision is read from the migration files' ``revision`` / ``down_revision`` lines. Alembic (and
Mako, its templates) is imported only to migrate, or to tell an unknown revision from an older one; that
keeps it out of a daemon's memory and start-up time.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(None|[\"'][^\"']+[\"'])", re.MULTILINE)


class DatabaseNotMigrated(RuntimeError):
    """The database schema is not the one this version of spapi-notify needs."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for store/migrations, run on ``connection`` when one is given."""
    from alembic.config import Config  # noqa: PLC0415 (Alembic only where it migrates: module docstring)

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    """The newest migration: the revision this version of spapi-notify needs (from the files' headers)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(_ASSIGNMENT.findall(path.read_text()))
        if "revision" not in found:
            continue
        revisions.add(found["revision"].strip("\"'"))
        parent = found.get("down_revision", "None")
        if parent != "None":
            parents.add(parent.strip("\"'"))
    heads = revisions - parents
    if len(heads) == 1:
        return heads.pop()
    return _alembic_head()  # merges, tuples of parents: let Alembic read them


def _alembic_head() -> str:
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "store/migrations has no revisions"
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's migration revision; None when it was never migrated."""

    def read(connection: Connection) -> str | None:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()  # noqa: S608
        return ",".join(sorted(rows)) or None

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> tuple[str | None, str]:
    """Apply the migrations up to ``revision``; returns the revisions before and after."""
    before = await current_revision(engine)
    from alembic import command  # noqa: PLC0415

    async with engine.connect() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))
        await connection.commit()
    after = await current_revision(engine)
    assert after is not None
    return before, after


def _known(revision: str) -> bool:
    from alembic.script import ScriptDirectory  # noqa: PLC0415
    from alembic.util import CommandError  # noqa: PLC0415

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
