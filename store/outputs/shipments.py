"""``fba_outbound_shipments``: a shipment's status, never replaced by an older notification's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncConnection

from store.changes.append import upsert_with_change
from store.outputs.event_time import applied_event_time
from store.tables import FBA_OUTBOUND_SHIPMENTS, Operation
from store.upsert import insert


async def upsert_fba_shipment(
    connection: AsyncConnection, row: Mapping[str, Any], *, notification_id: str | None = None
) -> Operation | None:
    """Write the shipment's status unless a newer notification's is stored; None when nothing was written.

    Newer means a later (or the same) EventTime, compared in SQL inside the caller's transaction so that
    concurrent daemons agree, with the stored one capped at the row's write (store.outputs.event_time); a
    notification without an EventTime never replaces one that had it.
    """
    statement = insert(connection, FBA_OUTBOUND_SHIPMENTS).values(**row)
    new, stored = statement.excluded, FBA_OUTBOUND_SHIPMENTS.c
    newer = or_(
        stored.last_event_time.is_(None),
        new.last_event_time.is_not(None) & (new.last_event_time >= applied_event_time(stored)),
    )
    return await upsert_with_change(
        connection,
        statement.on_conflict_do_update(
            index_elements=[stored.seller_id, stored.amazon_shipment_id],
            set_={c.name: new[c.name] for c in FBA_OUTBOUND_SHIPMENTS.c if not c.primary_key},
            where=newer,
        ),
        FBA_OUTBOUND_SHIPMENTS,
        row,
        notification_id,
    )
