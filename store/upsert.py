"""INSERT ... ON CONFLICT for the connection's dialect (PostgreSQL and SQLite spell it the same way)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert(connection: AsyncConnection, table: Table) -> Any:
    """An ``Insert`` with ``on_conflict_do_update``/``on_conflict_do_nothing`` for this connection."""
    return insert_for_dialect(connection.dialect.name, table)


def insert_for_dialect(dialect: str, table: Table) -> Any:
    """An ``Insert`` with ON CONFLICT for a dialect's name; NotImplementedError for other dialects."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for the {dialect} dialect")
