"""The notifications ledger and the delivery failure log.

Revision ID: 0001_ledger
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UtcDateTime

revision: str = "0001_ledger"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("notification_id", sa.String(128), nullable=False),
        sa.Column("notification_type", sa.String(100), nullable=False),
        sa.Column("payload_version", sa.String(32), nullable=False),
        sa.Column("selling_partner_id", sa.String(128)),
        sa.Column("subscription_id", sa.String(128)),
        sa.Column("event_time", UtcDateTime()),
        sa.Column("publish_time", UtcDateTime()),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("processed_at", UtcDateTime()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
        sa.Column("error", sa.Text),
        sa.Column("message_id", sa.String(128)),
        sa.Column("envelope", sa.String(32)),
        sa.PrimaryKeyConstraint("notification_id", name="pk_notifications"),
        sa.CheckConstraint(
            "status IN ('processed', 'ignored', 'dead_lettered')", name="ck_notifications_status"
        ),
    )
    op.create_index("ix_notifications_type_status", "notifications", ["notification_type", "status"])
    op.create_index("ix_notifications_selling_partner_id", "notifications", ["selling_partner_id"])
    op.create_index("ix_notifications_received_at", "notifications", ["received_at"])

    op.create_table(
        "delivery_failures",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("notification_id", sa.String(128)),
        sa.Column("notification_type", sa.String(100)),
        sa.Column("receive_count", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("failed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_failures"),
    )
    op.create_index("ix_delivery_failures_message_id", "delivery_failures", ["message_id"])
    op.create_index("ix_delivery_failures_notification_id", "delivery_failures", ["notification_id"])


def downgrade() -> None:
    op.drop_table("delivery_failures")
    op.drop_table("notifications")
