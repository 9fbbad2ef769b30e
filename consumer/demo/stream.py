"""The demo's notifications: Amazon's official examples, re-addressed to the demo application.

A realistic little stream: two changes to one order (the second through EventBridge), the first of them
delivered twice, listing changes (one DELETED, through EventBridge), a finished report, a cancelled vendor
report, a type nobody handles, and one message that is not JSON at all.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

from spapi.model_catalog import NOTIFICATION_SCHEMAS_DIR

APPLICATION_ID = "amzn1.sellerapps.app.00000000-demo-4000-8000-000000000001"
EVENT_SOURCE = f"aws.partner/sellingpartnerapi.amazon.com/{APPLICATION_ID}"
MALFORMED_BODY = '{"NotificationType": "ORDER_CHANGE", "Payload": {'  # cut short in transit

ORDER_SELLER = "A3TH9S8BH6GOGM"
LISTINGS_SELLER = "A3AYAZLIQ7AX77"
VENDOR = "amzn1.vg.6213651"
ORDER_ID = "903-8868176-2219830"
DONE_REPORT_ID = "54517018503"
DONE_DOCUMENT_ID = "amzn1.tortuga.4.na.demo-actionable-orders.T1DEMO"
BUYABLE_SKU = "NLS-SHOES-03"  # the official example's
DELETED_SKU = "NLS-SHOES-04"
SHIPPED_AT = "2020-01-11T02:15:00.000Z"


@cache
def _examples(schema_file: str) -> tuple[dict[str, Any], ...]:
    schema = json.loads((NOTIFICATION_SCHEMAS_DIR / schema_file).read_text(encoding="utf-8"))
    return tuple(schema.get("examples", ()))


def official_example(schema_file: str, index: int = 0) -> dict[str, Any]:
    """A deep copy of one of the official examples of a notification schema file."""
    return copy.deepcopy(_examples(schema_file)[index])


def readdressed(notification: dict[str, Any], application_id: str = APPLICATION_ID) -> dict[str, Any]:
    """The notification with ``application_id`` and a fresh notification id, in its own key case."""
    key = "NotificationMetadata" if "NotificationMetadata" in notification else "notificationMetadata"
    metadata: dict[str, Any] = notification.setdefault(key, {})
    pascal = key == "NotificationMetadata"
    metadata["NotificationId" if pascal else "notificationId"] = str(uuid.uuid4())
    metadata["ApplicationId" if pascal else "applicationId"] = application_id
    return notification


@dataclass(frozen=True)
class Delivery:
    """One message of the stream: sent to the queue directly, or published on the event bus."""

    body: str
    via_eventbridge: bool = False
    detail_type: str | None = None
    what: str = ""


def _direct(notification: dict[str, Any], what: str) -> Delivery:
    return Delivery(body=json.dumps(notification), what=what)


def _bridged(notification: dict[str, Any], what: str) -> Delivery:
    kind = notification.get("NotificationType") or notification.get("notificationType")
    return Delivery(body=json.dumps(notification), via_eventbridge=True, detail_type=str(kind), what=what)


def demo_stream() -> list[Delivery]:
    """The messages the demo publishes, in order, each with a line saying what it is."""
    placed = readdressed(official_example("OrderChangeNotification.json"))
    shipped = readdressed(official_example("OrderChangeNotification.json"))
    shipped["EventTime"] = SHIPPED_AT
    change = shipped["Payload"]["OrderChangeNotification"]
    change["OrderChangeType"] = "OrderStatusChange"
    change["Summary"]["OrderStatus"] = "Shipped"

    buyable = readdressed(official_example("ListingsItemStatusChangeNotification.json"))
    deleted = readdressed(official_example("ListingsItemStatusChangeNotification.json"))
    deleted["Payload"].update({"Sku": DELETED_SKU, "Status": ["DELETED"]})

    done = readdressed(official_example("ReportProcessingFinishedNotification.json"))
    finished = done["payload"]["reportProcessingFinishedNotification"]
    finished.update(
        {"reportId": DONE_REPORT_ID, "processingStatus": "DONE", "reportDocumentId": DONE_DOCUMENT_ID}
    )
    cancelled_vendor = readdressed(official_example("ReportProcessingFinishedNotification.json", 1))

    offer = readdressed(official_example("AnyOfferChangedNotification.json"))
    return [
        _direct(placed, "ORDER_CHANGE (order placed)"),
        _direct(buyable, "LISTINGS_ITEM_STATUS_CHANGE (BUYABLE)"),
        _direct(done, "REPORT_PROCESSING_FINISHED (DONE)"),
        _bridged(shipped, "ORDER_CHANGE (shipped), via EventBridge"),
        _direct(placed, "ORDER_CHANGE (order placed), delivered again"),
        _bridged(deleted, "LISTINGS_ITEM_STATUS_CHANGE (DELETED), via EventBridge"),
        _direct(cancelled_vendor, "REPORT_PROCESSING_FINISHED (CANCELLED, vendor)"),
        _direct(offer, "ANY_OFFER_CHANGED (no dedicated handler: kept in notification_events)"),
        Delivery(body=MALFORMED_BODY, what="a malformed message"),
    ]
