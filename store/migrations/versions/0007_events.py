"""Every type kept, two more handlers' tables, and the change feed.

notification_events (types without a dedicated handler), feeds (FEED_PROCESSING_FINISHED),
fba_outbound_shipments (FBA_OUTBOUND_SHIPMENT_STATUS) and changes (one row per write to an output table),
with, on PostgreSQL, a trigger that notifies the ``spapi_notify_changes`` channel when changes commit.

Revision ID: 0007_events
Revises: 0006_reconcile
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UtcDateTime, json_document

revision: str = "0007_events"
down_revision: str | None = "0006_reconcile"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOTIFY_FUNCTION = """
CREATE FUNCTION spapi_notify_changes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('spapi_notify_changes', '');
    RETURN NULL;
END
$$
"""
_NOTIFY_TRIGGER = """
CREATE TRIGGER changes_notify AFTER INSERT ON changes
FOR EACH STATEMENT EXECUTE FUNCTION spapi_notify_changes_notify()
"""


def upgrade() -> None:
    op.create_table(
        "notification_events",
        sa.Column("notification_id", sa.String(128), nullable=False),
        sa.Column("notification_type", sa.String(100), nullable=False),
        sa.Column("payload_version", sa.String(32), nullable=False),
        sa.Column("selling_partner_id", sa.String(128)),
        sa.Column("marketplace_id", sa.String(64)),
        sa.Column("event_time", UtcDateTime()),
        sa.Column("payload", json_document(), nullable=False),
        sa.Column("stored_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("notification_id", name="pk_notification_events"),
    )
    op.create_index(
        "ix_notification_events_notification_type_event_time",
        "notification_events",
        ["notification_type", "event_time"],
    )
    op.create_index(
        "ix_notification_events_selling_partner_id", "notification_events", ["selling_partner_id"]
    )
    op.create_table(
        "feeds",
        sa.Column("feed_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("seller_id", sa.String(128)),
        sa.Column("feed_type", sa.String(128), nullable=False),
        sa.Column("processing_status", sa.String(32), nullable=False),
        sa.Column("marketplace_ids", json_document()),
        sa.Column("created_time", UtcDateTime()),
        sa.Column("processing_start_time", UtcDateTime()),
        sa.Column("processing_end_time", UtcDateTime()),
        sa.Column("result_feed_document_id", sa.String(256)),
        sa.Column("location", sa.Text),
        sa.Column("size_bytes", sa.BigInteger),
        sa.Column("sha256", sa.String(64)),
        sa.Column("compression_algorithm", sa.String(16)),
        sa.Column("stored_at", UtcDateTime()),
        sa.Column("result_format", sa.String(8)),
        sa.Column("messages_processed", sa.Integer),
        sa.Column("messages_accepted", sa.Integer),
        sa.Column("messages_invalid", sa.Integer),
        sa.Column("errors", sa.Integer),
        sa.Column("warnings", sa.Integer),
        sa.Column("last_event_time", UtcDateTime()),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("feed_id", "account_id", name="pk_feeds"),
    )
    op.create_table(
        "fba_outbound_shipments",
        sa.Column("seller_id", sa.String(128), nullable=False),
        sa.Column("amazon_shipment_id", sa.String(64), nullable=False),
        sa.Column("amazon_order_id", sa.String(64), nullable=False),
        sa.Column("shipment_status", sa.String(64), nullable=False),
        sa.Column("last_event_time", UtcDateTime()),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", "amazon_shipment_id", name="pk_fba_outbound_shipments"),
    )
    op.create_index(
        "ix_fba_outbound_shipments_amazon_order_id", "fba_outbound_shipments", ["amazon_order_id"]
    )
    op.create_table(
        "changes",
        sa.Column("change_id", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("row_key", json_document(), nullable=False),
        sa.Column("operation", sa.String(8), nullable=False),
        sa.Column("notification_id", sa.String(128)),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("operation IN ('insert', 'update')", name="ck_changes_operation"),
        sa.PrimaryKeyConstraint("change_id", name="pk_changes"),
    )
    op.create_index("ix_changes_recorded_at", "changes", ["recorded_at"])
    op.create_index("ix_changes_table_name_change_id", "changes", ["table_name", "change_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_NOTIFY_FUNCTION)
        op.execute(_NOTIFY_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS changes_notify ON changes")
        op.execute("DROP FUNCTION IF EXISTS spapi_notify_changes_notify()")
    op.drop_table("changes")
    op.drop_table("fba_outbound_shipments")
    op.drop_table("feeds")
    op.drop_table("notification_events")
