"""Notification destinations and subscriptions that ``spapi-notify subscriptions apply`` made or adopted.

The consumer routes a notification's subscriptionId to its seller through ``notification_subscriptions``
(see ``subscriptions.records.seller_for_subscription``).
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, String, Table, Text

from store.metadata import metadata
from store.types import UtcDateTime, json_document

NOTIFICATION_DESTINATIONS = Table(
    "notification_destinations",
    metadata,
    Column("destination_id", String(128), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("kind", String(16), nullable=False),
    # The SP-API region (na, eu, fe) whose Notifications API holds the destination.
    Column("spapi_region", String(8), nullable=False),
    Column("sqs_arn", Text),
    Column("eventbridge_account_id", String(32)),
    Column("eventbridge_region", String(32)),
    # The partner event source Amazon created for an EventBridge destination.
    Column("eventbridge_source", Text),
    # 'created' by apply, or 'adopted': it existed and matches the desired state.
    Column("origin", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint("kind IN ('sqs', 'eventbridge')", name="kind"),
    CheckConstraint("origin IN ('created', 'adopted')", name="origin"),
)

NOTIFICATION_SUBSCRIPTIONS = Table(
    "notification_subscriptions",
    metadata,
    Column("subscription_id", String(128), primary_key=True),
    Column("seller_id", String(128), nullable=False),
    Column("notification_type", String(128), nullable=False),
    Column("payload_version", String(32), nullable=False),
    Column("destination_id", String(128), nullable=False),
    Column("processing_directive", json_document()),
    Column("spapi_region", String(8), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint("origin IN ('created', 'adopted')", name="origin"),
    Index("ix_notification_subscriptions_seller_id_notification_type", "seller_id", "notification_type"),
)
