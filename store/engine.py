"""One async engine per database URL, tuned per backend.

PostgreSQL goes through asyncpg. SQLite (the embedded default) goes through aiosqlite in WAL mode, with every
transaction opened as ``BEGIN IMMEDIATE``: writers then queue on the database lock (busy_timeout) instead of
failing with SQLITE_BUSY when a deferred transaction tries to upgrade its read lock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "spapi_notify_read_only"

_ASYNC_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


class UnsupportedDatabase(ValueError):
    """The database URL names a backend spapi-notify does not support."""


def normalize_url(url: str | URL) -> URL:
    """``postgresql://`` and ``sqlite://`` URLs get their async driver; other backends are refused."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in ("postgresql", "sqlite"):
        raise UnsupportedDatabase(
            f"unsupported database {parsed.render_as_string(hide_password=True)!r}: "
            "use postgresql+asyncpg://... or sqlite+aiosqlite:///..."
        )
    if parsed.drivername in _ASYNC_DRIVERS:
        parsed = parsed.set(drivername=_ASYNC_DRIVERS[parsed.drivername])
    return parsed


def create_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """The engine for ``url`` (see the module docstring); ``kwargs`` go to create_async_engine."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(parsed, **kwargs)
        _tune_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_async_engine(parsed, **kwargs)


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver, so that "begin" below decides how to begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            # FULL, not NORMAL: in WAL mode NORMAL may roll a committed transaction back after a power
            # loss, and the SQS message it settled is deleted by then: the notification would be lost.
            "PRAGMA synchronous=FULL",
            f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
            "PRAGMA foreign_keys=ON",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A read-only connection (see read_only) begins deferred: it neither waits for nor blocks writers.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@asynccontextmanager
async def read_only(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reads only (on SQLite it does not take the write lock)."""
    async with engine.connect() as connection:
        await connection.execution_options(**{READ_ONLY: True})
        yield connection


async def ping(engine: AsyncEngine) -> None:
    """Raise unless the database answers a trivial query (read-only: on SQLite it waits for no writer)."""
    async with read_only(engine) as connection:
        await connection.execute(text("SELECT 1"))
