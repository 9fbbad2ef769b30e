"""``feeds``: a finished feed replaces anything; nothing replaces a finished feed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncConnection

from store.changes.append import upsert_with_change
from store.tables import FEEDS, Operation
from store.upsert import insert

FINISHED = ("DONE", "FATAL", "CANCELLED")


async def upsert_feed(
    connection: AsyncConnection, row: Mapping[str, Any], *, notification_id: str | None = None
) -> Operation | None:
    """Write the feed row (a late IN_QUEUE/IN_PROGRESS never replaces a finished feed); None if kept."""
    statement = insert(connection, FEEDS).values(**row)
    new, stored = statement.excluded, FEEDS.c
    replaceable = or_(new.processing_status.in_(FINISHED), stored.processing_status.not_in(FINISHED))
    return await upsert_with_change(
        connection,
        statement.on_conflict_do_update(
            index_elements=[stored.feed_id, stored.account_id],
            set_={c.name: new[c.name] for c in FEEDS.c if not c.primary_key},
            where=replaceable,
        ),
        FEEDS,
        row,
        notification_id,
    )
