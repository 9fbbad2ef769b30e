"""FBA_OUTBOUND_SHIPMENT_STATUS 1.0: a fulfillment order's shipment status, upserted into its own table.

The notification carries everything (seller, fulfillment order, shipment, status): no SP-API call is made.
The row (``fba_outbound_shipments``, one per seller and shipment) is replaced only by a notification with a
newer or equal EventTime, checked in SQL inside the ledger transaction (store.outputs.shipments), so an
older notification arriving late never overwrites a newer status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.contract import Effect, StoredField
from handlers.errors import PermanentError, Reason
from spapi.notifications import FbaOutboundShipmentStatusPayload, Notification
from store.outputs.shipments import upsert_fba_shipment
from store.tables import FBA_OUTBOUND_SHIPMENTS


class FbaOutboundShipmentStatusHandler:
    """FBA_OUTBOUND_SHIPMENT_STATUS 1.0 (see the module docstring)."""

    offline = True

    def __repr__(self) -> str:
        return "FbaOutboundShipmentStatusHandler()"

    def stored_fields(self, notification: Notification[Any]) -> list[StoredField]:
        """The notification's values this handler writes (checked against their columns beforehand)."""
        payload = notification.payload
        if not isinstance(payload, FbaOutboundShipmentStatusPayload):
            return []
        shipment = payload.fba_outbound_shipment_status_notification
        at, table = "Payload.FBAOutboundShipmentStatusNotification", FBA_OUTBOUND_SHIPMENTS.c
        return [
            StoredField(f"{at}.SellerId", shipment.seller_id, table.seller_id),
            StoredField(f"{at}.AmazonShipmentId", shipment.amazon_shipment_id, table.amazon_shipment_id),
            StoredField(f"{at}.AmazonOrderId", shipment.amazon_order_id, table.amazon_order_id),
            StoredField(f"{at}.ShipmentStatus", shipment.shipment_status, table.shipment_status),
        ]

    async def prepare(self, notification: Notification[Any]) -> Effect:
        payload = notification.payload
        if not isinstance(payload, FbaOutboundShipmentStatusPayload):
            raise PermanentError(
                Reason.SCHEMA_VIOLATION, "FBA_OUTBOUND_SHIPMENT_STATUS payload did not parse as version 1.0"
            )
        shipment = payload.fba_outbound_shipment_status_notification
        write = ShipmentWrite(
            {
                "seller_id": shipment.seller_id,
                "amazon_shipment_id": shipment.amazon_shipment_id,
                "amazon_order_id": shipment.amazon_order_id,
                "shipment_status": shipment.shipment_status,
                "last_event_time": notification.event_time,
                "updated_at": datetime.now(UTC),
            },
            notification.notification_id,
        )
        return Effect(
            apply=write.apply,
            summary=f"shipment {shipment.amazon_shipment_id} of {shipment.amazon_order_id}: "
            f"{shipment.shipment_status}",
        )


@dataclass(frozen=True)
class ShipmentWrite:
    """The shipment's row, written unless a newer notification's status is stored."""

    row: dict[str, Any]
    notification_id: str | None = None

    async def apply(self, connection: AsyncConnection) -> None:
        await upsert_fba_shipment(connection, self.row, notification_id=self.notification_id)
