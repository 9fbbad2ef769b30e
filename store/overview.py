"""A short account of what the output tables hold: for the demo's summary and the operators' views."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from store.engine import read_only
from store.tables import LISTINGS_ITEMS, NOTIFICATIONS, ORDER_ITEMS, ORDERS, REPORTS


@dataclass(frozen=True)
class Overview:
    """Ledger rows by status; orders with their status; listings with their statuses; reports."""

    ledger: Counter[str]
    orders: list[tuple[str, str | None]]
    order_items: int
    listings: list[tuple[str, str, list[str]]]
    reports: list[tuple[str, str, str | None]]


async def overview(engine: AsyncEngine) -> Overview:
    """What the ledger and the output tables hold now."""
    async with read_only(engine) as connection:
        statuses = (
            await connection.execute(select(NOTIFICATIONS.c.status, func.count()).group_by("status"))
        ).all()
        orders = (await connection.execute(select(ORDERS.c.amazon_order_id, ORDERS.c.order_status))).all()
        items = await connection.scalar(select(func.count()).select_from(ORDER_ITEMS))
        listings = (
            await connection.execute(
                select(LISTINGS_ITEMS.c.seller_id, LISTINGS_ITEMS.c.sku, LISTINGS_ITEMS.c.statuses).order_by(
                    LISTINGS_ITEMS.c.sku
                )
            )
        ).all()
        reports = (
            await connection.execute(
                select(REPORTS.c.report_id, REPORTS.c.processing_status, REPORTS.c.location).order_by(
                    REPORTS.c.report_id
                )
            )
        ).all()
    return Overview(
        ledger=Counter({row[0]: row[1] for row in statuses}),
        orders=[(row[0], row[1]) for row in orders],
        order_items=int(items or 0),
        listings=[(row[0], row[1], list(row[2])) for row in listings],
        reports=[(row[0], row[1], row[2]) for row in reports],
    )
