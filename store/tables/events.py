"""Notifications of every type without a dedicated handler, kept as Amazon sent them."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table

from store.metadata import metadata
from store.types import UtcDateTime, json_document

NOTIFICATION_EVENTS = Table(
    "notification_events",
    metadata,
    Column("notification_id", String(128), primary_key=True),
    Column("notification_type", String(100), nullable=False),
    Column("payload_version", String(32), nullable=False),
    # sellerId, or the vendor's accountId (amzn1.vg.*); empty when the payload names none at the top.
    Column("selling_partner_id", String(128)),
    # When the payload names exactly one marketplace (not inside a list).
    Column("marketplace_id", String(64)),
    Column("event_time", UtcDateTime()),
    Column("payload", json_document(), nullable=False),
    Column("stored_at", UtcDateTime(), nullable=False),
    Index("ix_notification_events_notification_type_event_time", "notification_type", "event_time"),
    Index("ix_notification_events_selling_partner_id", "selling_partner_id"),
)
