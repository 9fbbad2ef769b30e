"""What the demo did, read back from the database, the metrics and the dead-letter queue."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import aioboto3
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.demo.local_queues import DemoQueues
from consumer.intake.dead_letter import REASON
from consumer.ops.metrics import Metrics
from store.tables import LISTINGS_ITEMS, NOTIFICATIONS, ORDER_ITEMS, ORDERS, REPORTS


@dataclass(frozen=True)
class DemoDeadLetter:
    reason: str
    body: str


@dataclass(frozen=True)
class DemoSummary:
    ledger: Counter[str]
    duplicates: int
    orders: list[tuple[str, str | None]]
    order_items: int
    listings: list[tuple[str, str, list[str]]]
    reports: list[tuple[str, str, str | None]]
    dead_letters: list[DemoDeadLetter] = field(default_factory=list)


async def summarise(
    engine: AsyncEngine, session: aioboto3.Session, queues: DemoQueues, metrics: Metrics
) -> DemoSummary:
    async with engine.connect() as connection:
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
    duplicates = sum(
        int(sample.value)
        for family in metrics.duplicates.collect()
        for sample in family.samples
        if sample.name.endswith("_total")
    )
    return DemoSummary(
        ledger=Counter({row[0]: row[1] for row in statuses}),
        duplicates=duplicates,
        orders=[(row[0], row[1]) for row in orders],
        order_items=int(items or 0),
        listings=[(row[0], row[1], list(row[2])) for row in listings],
        reports=[(row[0], row[1], row[2]) for row in reports],
        dead_letters=await _dead_letters(session, queues),
    )


async def _dead_letters(session: aioboto3.Session, queues: DemoQueues) -> list[DemoDeadLetter]:
    async with session.client("sqs") as sqs:
        received = await sqs.receive_message(
            QueueUrl=queues.dlq_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            VisibilityTimeout=0,
        )
    found = []
    for message in received.get("Messages", []):
        attribute = message.get("MessageAttributes", {}).get(REASON)
        reason = attribute.get("StringValue", "?") if attribute else "redrive (maxReceiveCount)"
        found.append(DemoDeadLetter(reason=reason, body=message["Body"]))
    return found


def render(summary: DemoSummary, database_path: str) -> list[str]:
    lines = ["", "What happened:"]
    lines.append(
        "  ledger: "
        + ", ".join(f"{count} {status}" for status, count in sorted(summary.ledger.items()))
        + f"; {summary.duplicates} duplicate deliver{'y' if summary.duplicates == 1 else 'ies'} skipped"
    )
    for order_id, status in summary.orders:
        lines.append(f"  order {order_id}: {status} ({summary.order_items} item rows)")
    for seller, sku, statuses in summary.listings:
        lines.append(f"  listing {seller}/{sku}: {', '.join(statuses) or '-'}")
    for report_id, status, location in summary.reports:
        lines.append(f"  report {report_id}: {status}" + (f", stored at {location}" if location else ""))
    for dead in summary.dead_letters:
        lines.append(f"  dead-lettered: {dead.body[:60]!r} (reason: {dead.reason})")
    lines += [
        "",
        "Look at the database:",
        f"  sqlite3 {database_path} 'select amazon_order_id, order_status, last_updated_time from orders'",  # noqa: S608 (text)
        f"  sqlite3 {database_path} 'select notification_type, status, error from notifications'",  # noqa: S608 (text)
    ]
    return lines
