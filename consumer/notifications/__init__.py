"""Typed SP-API notifications: the normalized envelope, payload models, and ``parse_notification``."""

from consumer.notifications.envelope import KeyCase, Notification, NotificationMetadata
from consumer.notifications.listings_item_status_change import ListingsItemStatusChangePayload
from consumer.notifications.order_change import (
    OrderChangeNotification,
    OrderChangePayload,
    OrderChangeTrigger,
    OrderItem,
    OrderSummary,
)
from consumer.notifications.parse import detect_key_case, parse_notification
from consumer.notifications.registry import PAYLOAD_MODELS, TYPE_ALIASES, canonical_type, payload_model
from consumer.notifications.report_processing_finished import (
    ReportProcessingFinishedNotification,
    ReportProcessingFinishedPayload,
)
from consumer.notifications.selling_partner import find_selling_partner_id
from consumer.notifications.wire import TypedPayload, UtcDatetime, WireModel

OrderChange = Notification[OrderChangePayload]
ListingsItemStatusChange = Notification[ListingsItemStatusChangePayload]
ReportProcessingFinished = Notification[ReportProcessingFinishedPayload]

__all__ = [
    "PAYLOAD_MODELS",
    "TYPE_ALIASES",
    "KeyCase",
    "ListingsItemStatusChange",
    "ListingsItemStatusChangePayload",
    "Notification",
    "NotificationMetadata",
    "OrderChange",
    "OrderChangeNotification",
    "OrderChangePayload",
    "OrderChangeTrigger",
    "OrderItem",
    "OrderSummary",
    "ReportProcessingFinished",
    "ReportProcessingFinishedNotification",
    "ReportProcessingFinishedPayload",
    "TypedPayload",
    "UtcDatetime",
    "WireModel",
    "canonical_type",
    "detect_key_case",
    "find_selling_partner_id",
    "parse_notification",
    "payload_model",
]
