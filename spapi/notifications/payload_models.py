"""Which payload model each (notification type, payload version) gets; every other pair gets a plain dict."""

from __future__ import annotations

from collections.abc import Mapping

from spapi.notifications.fba_outbound_shipment_status import FbaOutboundShipmentStatusPayload
from spapi.notifications.feed_processing_finished import FeedProcessingFinishedPayload
from spapi.notifications.listings_item_status_change import ListingsItemStatusChangePayload
from spapi.notifications.order_change import OrderChangePayload
from spapi.notifications.report_processing_finished import ReportProcessingFinishedPayload
from spapi.notifications.wire import TypedPayload

PAYLOAD_MODELS: Mapping[tuple[str, str], type[TypedPayload]] = {
    ("ORDER_CHANGE", "1.0"): OrderChangePayload,
    ("LISTINGS_ITEM_STATUS_CHANGE", "1.0"): ListingsItemStatusChangePayload,
    ("REPORT_PROCESSING_FINISHED", "2020-09-04"): ReportProcessingFinishedPayload,
    ("FEED_PROCESSING_FINISHED", "2020-09-04"): FeedProcessingFinishedPayload,
    ("FBA_OUTBOUND_SHIPMENT_STATUS", "1.0"): FbaOutboundShipmentStatusPayload,
}

# Spellings of a type that are accepted and normalized to the type Amazon actually sends.
TYPE_ALIASES: Mapping[str, str] = {
    # ListingsItemStatusChangeNotification.json's NotificationType enum says LISTINGS_ITEM_STATUS_CHANGED,
    # while Amazon sends (and the same schema's example uses) LISTINGS_ITEM_STATUS_CHANGE.
    "LISTINGS_ITEM_STATUS_CHANGED": "LISTINGS_ITEM_STATUS_CHANGE",
}


def canonical_type(notification_type: str) -> str:
    """The notification type as Amazon sends it, whichever accepted spelling arrived."""
    return TYPE_ALIASES.get(notification_type, notification_type)


def payload_model(notification_type: str, payload_version: str) -> type[TypedPayload] | None:
    """The typed payload model of a canonical type and payload version, or None for a plain-dict payload."""
    return PAYLOAD_MODELS.get((notification_type, payload_version))
