"""What the demo did, read back from the database, the metrics and the dead-letter queue."""

from __future__ import annotations

from dataclasses import dataclass, field

import aioboto3
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.demo.local_queues import DemoQueues
from consumer.intake.dead_letter import REASON
from consumer.ops.metrics import Metrics
from store.overview import Overview, overview


@dataclass(frozen=True)
class DemoDeadLetter:
    """One message of the DLQ: why, and the start of its body."""

    reason: str
    body: str


@dataclass(frozen=True)
class DemoSummary:
    """What the tables hold, how many duplicates were skipped, and what reached the DLQ."""

    tables: Overview
    duplicates: int
    dead_letters: list[DemoDeadLetter] = field(default_factory=list)


async def summarise(
    engine: AsyncEngine, session: aioboto3.Session, queues: DemoQueues, metrics: Metrics
) -> DemoSummary:
    """Read back what the demo did: the tables, the duplicates the metrics counted, the DLQ's messages."""
    duplicates = sum(
        int(sample.value)
        for family in metrics.duplicates.collect()
        for sample in family.samples
        if sample.name.endswith("_total")
    )
    return DemoSummary(
        tables=await overview(engine),
        duplicates=duplicates,
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
    """The summary as terminal lines, ending with sqlite3 commands to look at the database."""
    lines = ["", "What happened:"]
    lines.append(
        "  ledger: "
        + ", ".join(f"{count} {status}" for status, count in sorted(summary.tables.ledger.items()))
        + f"; {summary.duplicates} duplicate deliver{'y' if summary.duplicates == 1 else 'ies'} skipped"
    )
    for order_id, status in summary.tables.orders:
        lines.append(f"  order {order_id}: {status} ({summary.tables.order_items} item rows)")
    for seller, sku, statuses in summary.tables.listings:
        lines.append(f"  listing {seller}/{sku}: {', '.join(statuses) or '-'}")
    for report_id, status, location in summary.tables.reports:
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
