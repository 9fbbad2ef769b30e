"""The change feed: one row per write to an output table, appended in the writing transaction.

``change_id`` is the cursor: it is assigned as the largest id plus one while the writer holds the feed's
lock (store.changes.append), so ids are gapless and in commit order on both backends.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, String, Table

from store.metadata import metadata
from store.types import UtcDateTime, json_document


class Operation(StrEnum):
    """What a write did to its row."""

    INSERT = "insert"
    UPDATE = "update"


CHANGES = Table(
    "changes",
    metadata,
    Column("change_id", BigInteger, primary_key=True, autoincrement=False),
    Column("table_name", String(64), nullable=False),
    # The written row's primary key, as a JSON object of column name to value.
    Column("row_key", json_document(), nullable=False),
    Column("operation", String(8), nullable=False),
    # The notification whose handler wrote the row; empty for other writers (the reconciliation sweep).
    Column("notification_id", String(128)),
    Column("recorded_at", UtcDateTime(), nullable=False),
    CheckConstraint(f"operation IN {tuple(o.value for o in Operation)}", name="operation"),
    Index("ix_changes_recorded_at", "recorded_at"),
    Index("ix_changes_table_name_change_id", "table_name", "change_id"),
)
