"""What the ledger says about delivery, for ``spapi-notify doctor``: when each seller's notifications last
arrived, which sellers' orders changed lately, and notifications Amazon sent for another application.

Read-only queries; the ledger is indexed by seller and by arrival time, and the orders by seller and
``last_updated_time``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from store.engine import read_only
from store.tables import NOTIFICATIONS, ORDERS, LedgerStatus

_FOREIGN = "foreign_application:"
_THEIRS = re.compile(r"is for application '([^']*)'")


async def last_arrivals(engine: AsyncEngine, seller_ids: Sequence[str]) -> dict[tuple[str, str], datetime]:
    """(seller, notification type) -> when the newest notification of it arrived (whatever its outcome)."""
    if not seller_ids:
        return {}
    table = NOTIFICATIONS
    query = (
        select(table.c.selling_partner_id, table.c.notification_type, func.max(table.c.received_at))
        .where(table.c.selling_partner_id.in_(list(seller_ids)))
        .group_by(table.c.selling_partner_id, table.c.notification_type)
    )
    async with read_only(engine) as connection:
        rows = (await connection.execute(query)).all()
    return {(row[0], row[1]): row[2] for row in rows if row[2] is not None}


async def orders_changed_since(
    engine: AsyncEngine, since: datetime, seller_ids: Sequence[str]
) -> dict[str, int]:
    """Seller -> how many of its stored orders changed at Amazon (``last_updated_time``) since ``since``."""
    if not seller_ids:
        return {}
    query = (
        select(ORDERS.c.seller_id, func.count())
        .where(ORDERS.c.seller_id.in_(list(seller_ids)), ORDERS.c.last_updated_time >= since)
        .group_by(ORDERS.c.seller_id)
    )
    async with read_only(engine) as connection:
        rows = (await connection.execute(query)).all()
    return {row[0]: int(row[1]) for row in rows}


@dataclass(frozen=True)
class ForeignApplications:
    """Notifications dead-lettered since a time because they were for another application."""

    count: int
    application_ids: tuple[str, ...]  # the applications they named, newest first


async def foreign_applications(engine: AsyncEngine, since: datetime, limit: int = 50) -> ForeignApplications:
    """Notifications refused since ``since`` as another application's (reason foreign_application)."""
    table = NOTIFICATIONS
    refused = (table.c.status == LedgerStatus.DEAD_LETTERED.value) & table.c.error.startswith(_FOREIGN)
    async with read_only(engine) as connection:
        count = await connection.scalar(select(func.count()).where(refused, table.c.received_at >= since))
        errors = (
            await connection.scalars(
                select(table.c.error)
                .where(refused, table.c.received_at >= since)
                .order_by(table.c.received_at.desc())
                .limit(limit)
            )
        ).all()
    named = (match.group(1) for error in errors if error and (match := _THEIRS.search(error)))
    return ForeignApplications(int(count or 0), tuple(dict.fromkeys(named)))
