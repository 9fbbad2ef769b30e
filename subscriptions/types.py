"""Notification types Amazon accepts, and which of them take an ``eventFilter``.

The Notifications API model leaves ``notificationType`` a free string, so the list comes from the notification
schemas Amazon publishes (spapi/amazon_models/notifications, checked by the tests) plus the types Amazon
documents without publishing a schema. A type missing here is almost always a typo, caught before any call.
"""

from __future__ import annotations

from difflib import get_close_matches
from functools import cache

from spapi.model_catalog import read_api_model

# From the shipped notification schemas (one file per type; LISTINGS_ITEM_ISSUES_CHANGE has two versions).
SCHEMA_TYPES = frozenset(
    {
        "ANY_OFFER_CHANGED",
        "B2B_ANY_OFFER_CHANGED",
        "BRANDED_ITEM_CONTENT_CHANGE",
        "DATA_KIOSK_QUERY_PROCESSING_FINISHED",
        "DETAIL_PAGE_TRAFFIC_EVENT",
        "FBA_INVENTORY_AVAILABILITY_CHANGES",
        "FBA_OUTBOUND_SHIPMENT_STATUS",
        "FEE_PROMOTION",
        "FEED_PROCESSING_FINISHED",
        "FULFILLMENT_ORDER_STATUS",
        "ITEM_INVENTORY_EVENT_CHANGE",
        "ITEM_PRODUCT_TYPE_CHANGE",
        "ITEM_SALES_EVENT_CHANGE",
        "LISTINGS_ITEM_ISSUES_CHANGE",
        "LISTINGS_ITEM_MFN_QUANTITY_CHANGE",
        "LISTINGS_ITEM_STATUS_CHANGE",
        "ORDER_CHANGE",
        "PRICING_HEALTH",
        "PRODUCT_TYPE_DEFINITIONS_CHANGE",
        "REPORT_PROCESSING_FINISHED",
        "SHIPMENT_TRACKING_MILESTONE_CHANGED",
        "TRANSACTION_UPDATE",
    }
)

# Documented by Amazon (notification type values) without a schema in the models repository.
DOCUMENTED_TYPES = frozenset(
    {
        "ACCOUNT_STATUS_CHANGED",
        "EXTERNAL_FULFILLMENT_SHIPMENT_STATUS_CHANGE",
        "MFN_ORDER_STATUS_CHANGE",
        "ORDER_STATUS_CHANGE",
    }
)

KNOWN_TYPES = SCHEMA_TYPES | DOCUMENTED_TYPES


class UnknownNotificationType(ValueError):
    """A notification type Amazon does not know; the message suggests close matches."""

    def __init__(self, notification_type: str) -> None:
        close = get_close_matches(notification_type, sorted(KNOWN_TYPES), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        super().__init__(
            f"unknown notification type {notification_type!r}{hint} "
            "(the types are listed in Amazon's 'Notification type values' page)"
        )
        self.notification_type = notification_type


def check_type(notification_type: str) -> str:
    """The type, when Amazon knows it; UnknownNotificationType otherwise."""
    if notification_type not in KNOWN_TYPES:
        raise UnknownNotificationType(notification_type)
    return notification_type


@cache
def event_filter_types() -> frozenset[str]:
    """The notification types an ``eventFilter`` may be given for (the model's eventFilterType enum)."""
    definition = read_api_model("notifications")["definitions"]["EventFilter"]
    for part in definition["allOf"]:
        enum = part.get("properties", {}).get("eventFilterType", {}).get("enum")
        if enum:
            return frozenset(enum)
    raise AssertionError("the Notifications model names no eventFilterType")  # pragma: no cover


@cache
def order_change_types() -> tuple[str, ...]:
    """The orderChangeTypes an ORDER_CHANGE eventFilter may name (from the Notifications model)."""
    return tuple(read_api_model("notifications")["definitions"]["OrderChangeTypeEnum"]["enum"])


@cache
def aggregation_time_periods() -> tuple[str, ...]:
    """The aggregationTimePeriod values Amazon accepts (from the Notifications model)."""
    return tuple(read_api_model("notifications")["definitions"]["AggregationTimePeriod"]["enum"])
