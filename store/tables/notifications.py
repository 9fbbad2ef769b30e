"""The ledger of notifications (exactly-once processing) and the log of transient delivery failures."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, Integer, String, Table, Text

from store.metadata import metadata
from store.types import UtcDateTime


class LedgerStatus(StrEnum):
    """How a notification was settled; processed and ignored mean its effects are committed."""

    PROCESSED = "processed"
    IGNORED = "ignored"
    DEAD_LETTERED = "dead_lettered"


# One row per notificationId. A row that is processed or ignored means: its effects are committed, a
# redelivery is acknowledged without side effects. dead_lettered has no effects; a replayed message may
# still be processed later, which turns the row into processed.
NOTIFICATIONS = Table(
    "notifications",
    metadata,
    Column("notification_id", String(128), primary_key=True),
    Column("notification_type", String(100), nullable=False),
    Column("payload_version", String(32), nullable=False),
    # sellerId, or the vendor's accountId (amzn1.vg.*) when there is no sellerId.
    Column("selling_partner_id", String(128)),
    Column("subscription_id", String(128)),
    Column("event_time", UtcDateTime()),
    Column("publish_time", UtcDateTime()),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("processed_at", UtcDateTime()),
    Column("status", String(16), nullable=False),
    # SQS ApproximateReceiveCount of the delivery that settled the notification.
    Column("attempts", Integer, nullable=False, server_default="1"),
    Column("error", Text),
    Column("message_id", String(128)),
    Column("envelope", String(32)),
    CheckConstraint(f"status IN {tuple(s.value for s in LedgerStatus)}", name="status"),
    Index("ix_notifications_type_status", "notification_type", "status"),
    Index("ix_notifications_selling_partner_id", "selling_partner_id"),
    Index("ix_notifications_received_at", "received_at"),
)

# One row per transient failure of a delivery (the message stayed in the queue). When SQS's redrive moves a
# message to the DLQ, this is where its failure reasons are found (replay shows the first one).
DELIVERY_FAILURES = Table(
    "delivery_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(128), nullable=False),
    Column("notification_id", String(128)),
    Column("notification_type", String(100)),
    Column("receive_count", Integer, nullable=False),
    Column("reason", String(64), nullable=False),
    Column("error", Text, nullable=False),
    Column("failed_at", UtcDateTime(), nullable=False),
    Index("ix_delivery_failures_message_id", "message_id"),
    Index("ix_delivery_failures_notification_id", "notification_id"),
)
