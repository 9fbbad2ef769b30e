"""Typed SP-API notifications: the normalized envelope, payload models, and ``parse_notification``."""

from spapi.notifications.envelope import KeyCase, Notification, NotificationMetadata
from spapi.notifications.fba_outbound_shipment_status import (
    FbaOutboundShipmentStatusNotification,
    FbaOutboundShipmentStatusPayload,
)
from spapi.notifications.feed_processing_finished import (
    FeedProcessingFinishedNotification,
    FeedProcessingFinishedPayload,
)
from spapi.notifications.listings_item_status_change import ListingsItemStatusChangePayload
from spapi.notifications.order_change import (
    OrderChangeNotification,
    OrderChangePayload,
    OrderChangeTrigger,
    OrderItem,
    OrderSummary,
)
from spapi.notifications.parse import detect_key_case, parse_notification
from spapi.notifications.payload_models import PAYLOAD_MODELS, TYPE_ALIASES, canonical_type, payload_model
from spapi.notifications.report_processing_finished import (
    ReportProcessingFinishedNotification,
    ReportProcessingFinishedPayload,
)
from spapi.notifications.selling_partner import find_selling_partner_id
from spapi.notifications.wire import TypedPayload, UtcDatetime, WireModel

OrderChange = Notification[OrderChangePayload]
ListingsItemStatusChange = Notification[ListingsItemStatusChangePayload]
ReportProcessingFinished = Notification[ReportProcessingFinishedPayload]

__all__ = [
    "PAYLOAD_MODELS",
    "TYPE_ALIASES",
    "FbaOutboundShipmentStatusNotification",
    "FbaOutboundShipmentStatusPayload",
    "FeedProcessingFinishedNotification",
    "FeedProcessingFinishedPayload",
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
