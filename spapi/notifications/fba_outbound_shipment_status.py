"""FBA_OUTBOUND_SHIPMENT_STATUS, payload version 1.0 (``FBAOutboundShipmentStatusNotification.json``).

Sent when Amazon creates or cancels a shipment of a Multi-Channel Fulfillment order. Amazon's only example
has placeholders for its ids (SellerId ``merchantId``), so nothing here is stricter than the schema.
"""

from __future__ import annotations

from pydantic import Field

from spapi.notifications.wire import TypedPayload, WireModel


class FbaOutboundShipmentStatusNotification(WireModel):
    """One shipment of a fulfillment order and its new status."""

    seller_id: str = Field(min_length=1, alias="SellerId")
    # The fulfillment order's id (for Multi-Channel Fulfillment, the seller's own order id).
    amazon_order_id: str = Field(min_length=1, alias="AmazonOrderId")
    amazon_shipment_id: str = Field(min_length=1, alias="AmazonShipmentId")
    # "Created" or "Cancelled" today; a plain string so that a new status is stored, not dead-lettered.
    shipment_status: str = Field(min_length=1, alias="ShipmentStatus")


class FbaOutboundShipmentStatusPayload(TypedPayload):
    """The payload of FBA_OUTBOUND_SHIPMENT_STATUS 1.0."""

    fba_outbound_shipment_status_notification: FbaOutboundShipmentStatusNotification = Field(
        alias="FBAOutboundShipmentStatusNotification"
    )

    @property
    def selling_partner_id(self) -> str | None:
        return self.fba_outbound_shipment_status_notification.seller_id
