"""ORDER_CHANGE 1.0 notifications as Amazon sends them, for the benches that feed the daemon order changes."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

MARKETPLACE = "ATVPDKIKX0DER"


def iso(value: datetime) -> str:
    """Amazon's timestamp form: milliseconds and a Z."""
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def order_change(
    seller_id: str,
    order_id: str,
    event_time: datetime,
    status: str,
    *,
    application_id: str,
    subscription_id: str = "sub-bench",
    notification_id: str | None = None,
) -> str:
    """The notification of a change to ``status`` (Orders 2026-01-01 spelling, e.g. PARTIALLY_SHIPPED) made at
    ``event_time``, as JSON; its summary spells the status as Orders v0 does, as Amazon's does."""
    v0_status = {"PARTIALLY_SHIPPED": "PartiallyShipped"}.get(status, status.capitalize())
    return json.dumps(
        {
            "NotificationVersion": "1.0",
            "NotificationType": "ORDER_CHANGE",
            "PayloadVersion": "1.0",
            "EventTime": iso(event_time),
            "Payload": {
                "OrderChangeNotification": {
                    "NotificationLevel": "OrderLevel",
                    "SellerId": seller_id,
                    "AmazonOrderId": order_id,
                    "OrderChangeType": "OrderStatusChange",
                    "OrderChangeTrigger": {"TimeOfOrderChange": iso(event_time), "ChangeReason": "bench"},
                    "Summary": {
                        "MarketplaceId": MARKETPLACE,
                        "OrderStatus": v0_status,
                        "PurchaseDate": "2026-11-20T10:00:00.000Z",
                        "FulfillmentType": "MFN",
                        "OrderType": "StandardOrder",
                        "OrderItems": [
                            {"OrderItemId": "17198765432109", "SellerSKU": "SKU-1", "Quantity": 1}
                        ],
                    },
                }
            },
            "NotificationMetadata": {
                "ApplicationId": application_id,
                "SubscriptionId": subscription_id,
                "PublishTime": iso(event_time),
                "NotificationId": notification_id or str(uuid.uuid4()),
            },
        }
    )
