"""Notification destinations and subscriptions made or adopted by `spapi-notify subscriptions apply`.

Revision ID: 0004_subscriptions
Revises: 0003_domain
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UtcDateTime, json_document

revision: str = "0004_subscriptions"
down_revision: str | None = "0003_domain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_destinations",
        sa.Column("destination_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("spapi_region", sa.String(8), nullable=False),
        sa.Column("sqs_arn", sa.Text),
        sa.Column("eventbridge_account_id", sa.String(32)),
        sa.Column("eventbridge_region", sa.String(32)),
        sa.Column("eventbridge_source", sa.Text),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("destination_id", name="pk_notification_destinations"),
        sa.CheckConstraint("kind IN ('sqs', 'eventbridge')", name="ck_notification_destinations_kind"),
        sa.CheckConstraint("origin IN ('created', 'adopted')", name="ck_notification_destinations_origin"),
    )
    op.create_table(
        "notification_subscriptions",
        sa.Column("subscription_id", sa.String(128), nullable=False),
        sa.Column("seller_id", sa.String(128), nullable=False),
        sa.Column("notification_type", sa.String(128), nullable=False),
        sa.Column("payload_version", sa.String(32), nullable=False),
        sa.Column("destination_id", sa.String(128), nullable=False),
        sa.Column("processing_directive", json_document()),
        sa.Column("spapi_region", sa.String(8), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subscription_id", name="pk_notification_subscriptions"),
        sa.CheckConstraint("origin IN ('created', 'adopted')", name="ck_notification_subscriptions_origin"),
    )
    op.create_index(
        "ix_notification_subscriptions_seller_id_notification_type",
        "notification_subscriptions",
        ["seller_id", "notification_type"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_notification_subscriptions_seller_id_notification_type", table_name="notification_subscriptions"
    )
    op.drop_table("notification_subscriptions")
    op.drop_table("notification_destinations")
