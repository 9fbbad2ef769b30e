"""Alembic environment: runs on a connection handed over by store.migrate, or on SPAPI_NOTIFY_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

import store.tables  # noqa: F401  (registers every table on the metadata, for autogenerate)
from store.engine import create_engine
from store.metadata import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place: batch mode recreates the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_on_url(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def _url() -> str:
    return (
        config.get_main_option("sqlalchemy.url")
        or os.environ.get("SPAPI_NOTIFY_DATABASE_URL")
        or "sqlite+aiosqlite:///./spapi-notify.db"
    )


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    shared = config.attributes.get("connection")
    if isinstance(shared, Connection):
        _run(shared)
    else:
        asyncio.run(_run_on_url(_url()))
