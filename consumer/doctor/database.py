"""The database: reachable, and migrated to the schema this version needs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.doctor.check import Check, failed, passed, skipped
from consumer.doctor.config import DoctorConfig
from store.migrate import current_revision, head_revision

_UPGRADE = "spapi-notify db upgrade"


def _missing_sqlite_file(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists())


async def database_checks(
    config: DoctorConfig, make_engine: Callable[[], AsyncEngine]
) -> tuple[list[Check], AsyncEngine | None]:
    """Reachable and migrated; the engine when both hold (the caller disposes of it), else None."""
    try:
        url = make_url(config.database_url)
    except (SQLAlchemyError, ValueError) as exc:
        return [
            failed(
                "database.reachable",
                f"SPAPI_NOTIFY_DATABASE_URL is not a database URL: {exc}",
                "set SPAPI_NOTIFY_DATABASE_URL to postgresql+asyncpg://... or sqlite+aiosqlite:///...",
            )
        ], None
    shown = url.render_as_string(hide_password=True)
    if _missing_sqlite_file(url):
        # Connecting would create an empty database file.
        return [
            failed(
                "database.reachable",
                f"{shown}: the SQLite file does not exist (is this the daemon's working directory?)",
                f"point SPAPI_NOTIFY_DATABASE_URL at the daemon's database, or create it with `{_UPGRADE}`",
            ),
            skipped("database.migrated", "no database to look at"),
        ], None
    try:
        engine = make_engine()
    except (SQLAlchemyError, ValueError) as exc:
        return [
            failed(
                "database.reachable",
                f"{shown}: {exc}",
                "set SPAPI_NOTIFY_DATABASE_URL to postgresql+asyncpg://... or sqlite+aiosqlite:///...",
            )
        ], None
    try:
        current = await current_revision(engine)
    except (SQLAlchemyError, OSError) as exc:
        await engine.dispose()
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [
            failed(
                "database.reachable",
                f"{shown} cannot be reached: {reason}",
                "start the database, or correct SPAPI_NOTIFY_DATABASE_URL (host, port, credentials)",
            ),
            skipped("database.migrated", "the database could not be reached"),
        ], None
    reachable = passed("database.reachable", f"{shown} answers")
    head = head_revision()
    if current != head:
        await engine.dispose()
        now = "no spapi-notify schema" if current is None else f"schema revision {current}"
        return [
            reachable,
            failed(
                "database.migrated",
                f"{shown} has {now}, this version needs {head}: the daemon refuses to start",
                f"`{_UPGRADE}` (with the same SPAPI_NOTIFY_DATABASE_URL); a revision this version does not "
                "know "
                "means a newer spapi-notify migrated it: run that version",
            ),
        ], None
    return [reachable, passed("database.migrated", f"schema revision {head} (current)")], engine
