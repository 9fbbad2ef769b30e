"""The database's clock, in seconds since the epoch: the one clock every replica agrees on."""

from __future__ import annotations

from sqlalchemy import Float, literal_column
from sqlalchemy.sql.elements import ColumnElement

# statement_timestamp(): the same value for the whole statement, unlike clock_timestamp().
_POSTGRESQL = "CAST(EXTRACT(EPOCH FROM statement_timestamp()) AS DOUBLE PRECISION)"
# julianday('now') is fixed for one statement and has millisecond resolution.
_SQLITE = "((julianday('now') - 2440587.5) * 86400.0)"


def database_now(dialect: str) -> ColumnElement[float]:
    """An SQL expression for the database's current time, for the dialect ``postgresql`` or ``sqlite``."""
    if dialect == "postgresql":
        return literal_column(_POSTGRESQL, Float(precision=53))
    if dialect == "sqlite":
        return literal_column(_SQLITE, Float(precision=53))
    raise NotImplementedError(f"no clock for the {dialect} dialect")
