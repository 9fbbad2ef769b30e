"""ORDER_CHANGE, payload version 1.0 (``OrderChangeNotification.json``).

Fields the schema marks required are required here, except those it also allows to be null: for them a missing
key and null mean the same thing, so they default to None rather than dead-letter an order update.
Enumerated values (OrderStatus, OrderChangeType, ...) are plain strings because Amazon extends these lists
without a new payload version, and an unknown status must not stop an order from being processed.
"""

from __future__ import annotations

from pydantic import Field

from spapi.notifications.wire import TypedPayload, UtcDatetime, WireModel


class OrderChangeTrigger(WireModel):
    """What caused an order change, and when (OrderChangeTrigger)."""

    time_of_order_change: UtcDatetime | None = Field(default=None, alias="TimeOfOrderChange")
    change_reason: str = Field(alias="ChangeReason")


class OrderItem(WireModel):
    """An item of the order, as the notification's Summary lists it."""

    order_item_id: str = Field(alias="OrderItemId")
    seller_sku: str = Field(alias="SellerSKU")
    # Required in the schema, yet the schema's own Summary example leaves it out.
    supply_source_id: str | None = Field(default=None, alias="SupplySourceId")
    order_item_status: str | None = Field(default=None, alias="OrderItemStatus")
    quantity: int = Field(alias="Quantity")
    quantity_shipped: int | None = Field(default=None, alias="QuantityShipped")
    is_buyer_requested_cancel: bool | None = Field(default=None, alias="IsBuyerRequestedCancel")
    item_earliest_delivery_date: UtcDatetime | None = Field(default=None, alias="ItemEarliestDeliveryDate")
    item_latest_delivery_date: UtcDatetime | None = Field(default=None, alias="ItemLatestDeliveryDate")


class OrderSummary(WireModel):
    """The order after the change, as the notification summarises it (Summary)."""

    marketplace_id: str = Field(alias="MarketplaceId")
    order_status: str = Field(alias="OrderStatus")
    purchase_date: UtcDatetime | None = Field(default=None, alias="PurchaseDate")
    destination_postal_code: str | None = Field(default=None, alias="DestinationPostalCode")
    fulfillment_type: str = Field(alias="FulfillmentType")
    order_type: str = Field(alias="OrderType")
    number_of_items_shipped: int | None = Field(default=None, alias="NumberOfItemsShipped")
    number_of_items_unshipped: int | None = Field(default=None, alias="NumberOfItemsUnshipped")
    earliest_delivery_date: UtcDatetime | None = Field(default=None, alias="EarliestDeliveryDate")
    latest_delivery_date: UtcDatetime | None = Field(default=None, alias="LatestDeliveryDate")
    earliest_ship_date: UtcDatetime | None = Field(default=None, alias="EarliestShipDate")
    latest_ship_date: UtcDatetime | None = Field(default=None, alias="LatestShipDate")
    cancel_notify_date: UtcDatetime | None = Field(default=None, alias="CancelNotifyDate")
    order_programs: list[str] = Field(default_factory=list, alias="OrderPrograms")
    shipping_programs: list[str] = Field(default_factory=list, alias="ShippingPrograms")
    easy_ship_shipment_status: str | None = Field(default=None, alias="EasyShipShipmentStatus")
    electronic_invoice_status: str | None = Field(default=None, alias="ElectronicInvoiceStatus")
    order_items: list[OrderItem] = Field(alias="OrderItems")


class OrderChangeNotification(WireModel):
    """A change to one order: seller, order id, kind of change, its trigger, and the order now."""

    notification_level: str = Field(alias="NotificationLevel")
    seller_id: str = Field(min_length=1, alias="SellerId")
    amazon_order_id: str = Field(min_length=1, alias="AmazonOrderId")
    order_change_type: str = Field(alias="OrderChangeType")
    order_change_trigger: OrderChangeTrigger = Field(alias="OrderChangeTrigger")
    summary: OrderSummary = Field(alias="Summary")


class OrderChangePayload(TypedPayload):
    """The payload of ORDER_CHANGE 1.0."""

    order_change_notification: OrderChangeNotification = Field(alias="OrderChangeNotification")

    @property
    def selling_partner_id(self) -> str | None:
        return self.order_change_notification.seller_id
