"""``reports``: a finished report replaces anything; nothing replaces a finished report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncConnection

from store.tables import REPORTS
from store.upsert import insert

FINISHED = ("DONE", "FATAL", "CANCELLED")


async def upsert_report(connection: AsyncConnection, row: Mapping[str, Any]) -> None:
    """Write the report row; a late IN_QUEUE/IN_PROGRESS never replaces a finished report."""
    statement = insert(connection, REPORTS).values(**row)
    new, stored = statement.excluded, REPORTS.c
    changes = {c.name: new[c.name] for c in REPORTS.c if not c.primary_key}
    replaceable = or_(new.processing_status.in_(FINISHED), stored.processing_status.not_in(FINISHED))
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=[stored.report_id, stored.account_id], set_=changes, where=replaceable
        )
    )
