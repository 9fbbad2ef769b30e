"""``reports``: a finished report replaces anything; nothing replaces a finished report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncConnection

from store.changes.append import upsert_with_change
from store.tables import REPORTS
from store.upsert import insert

FINISHED = ("DONE", "FATAL", "CANCELLED")


async def upsert_report(
    connection: AsyncConnection, row: Mapping[str, Any], *, notification_id: str | None = None
) -> None:
    """Write the report row; a late IN_QUEUE/IN_PROGRESS never replaces a finished report.

    A write appends a change to the change feed, naming ``notification_id``.
    """
    statement = insert(connection, REPORTS).values(**row)
    new, stored = statement.excluded, REPORTS.c
    changes = {c.name: new[c.name] for c in REPORTS.c if not c.primary_key}
    replaceable = or_(new.processing_status.in_(FINISHED), stored.processing_status.not_in(FINISHED))
    await upsert_with_change(
        connection,
        statement.on_conflict_do_update(
            index_elements=[stored.report_id, stored.account_id], set_=changes, where=replaceable
        ),
        REPORTS,
        row,
        notification_id,
    )
