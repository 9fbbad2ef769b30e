"""Migrations build exactly the declared schema, on both backends; the start-up guard names the fix."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import store.tables  # noqa: F401  (registers every table)
from store.engine import UnsupportedDatabase, create_engine, normalize_url
from store.metadata import metadata
from store.migrate import DatabaseNotMigrated, current_revision, ensure_current, head_revision, upgrade

ROOT = Path(__file__).resolve().parents[2]


async def test_upgrade_reaches_head_and_matches_the_declared_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        before, after = await upgrade(engine)
        assert (before, after) == (None, head_revision())
        await ensure_current(engine)

        def differences(connection: Connection) -> list[object]:
            return list(compare_metadata(MigrationContext.configure(connection), metadata))

        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
        # A second upgrade is a no-op.
        assert await upgrade(engine) == (head_revision(), head_revision())
    finally:
        await engine.dispose()


async def test_unmigrated_database_is_refused_with_the_command_to_run(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert await current_revision(engine) is None
        with pytest.raises(DatabaseNotMigrated, match="run `spapi-notify db upgrade`"):
            await ensure_current(engine)
    finally:
        await engine.dispose()


async def test_database_from_a_newer_version_is_refused(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(DatabaseNotMigrated, match="migrated by a newer version"):
        await ensure_current(engine)


def test_urls_get_async_drivers_and_other_backends_are_refused() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+asyncpg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite+aiosqlite"
    assert normalize_url("postgresql+asyncpg://u@h/db").drivername == "postgresql+asyncpg"
    with pytest.raises(UnsupportedDatabase, match="mysql"):
        normalize_url("mysql://u:secret@h/db")
    with pytest.raises(UnsupportedDatabase) as caught:
        normalize_url("mysql://u:secret@h/db")
    assert "secret" not in str(caught.value)


def test_the_head_read_from_the_files_is_alembics() -> None:
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    from store.migrate import alembic_config  # noqa: PLC0415

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_the_start_up_check_loads_no_alembic(sqlite_url: str) -> None:
    async def migrate() -> None:
        engine = create_engine(sqlite_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    check = (
        "import asyncio, sys\n"
        "from store.engine import create_engine\n"
        "from store.migrate import ensure_current\n"
        "async def main():\n"
        f"    engine = create_engine({sqlite_url!r})\n"
        "    await ensure_current(engine)\n"
        "    await engine.dispose()\n"
        "asyncio.run(main())\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('alembic', 'mako')))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
