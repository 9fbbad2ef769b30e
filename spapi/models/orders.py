"""Orders API 2026-01-01: what getOrder and searchOrders return."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from spapi.models.base import CamelModel


class Money(CamelModel):
    """An amount and its currency (Money)."""

    amount: Decimal
    currency_code: str


class SalesChannel(CamelModel):
    """Where the order was placed: channel and marketplace (SalesChannel)."""

    channel_name: str
    marketplace_id: str | None = None
    marketplace_name: str | None = None


class OrderProceeds(CamelModel):
    """What the seller receives for the order (OrderProceeds); only the grand total is typed."""

    grand_total: Money | None = None


class OrderFulfillment(CamelModel):
    """How the order is fulfilled: status, by whom, service level (OrderFulfillment)."""

    fulfillment_status: str
    fulfilled_by: str | None = None
    fulfillment_service_level: str | None = None


class ItemProduct(CamelModel):
    """The product of an order item: ASIN, title, seller SKU (ItemProduct)."""

    asin: str | None = None
    title: str | None = None
    seller_sku: str | None = None


class ItemFulfillment(CamelModel):
    """How many units of an order item are fulfilled and unfulfilled (ItemFulfillment)."""

    quantity_fulfilled: int | None = None
    quantity_unfulfilled: int | None = None


class OrderItem(CamelModel):
    """One product of an order (OrderItem, Orders API 2026-01-01)."""

    order_item_id: str
    quantity_ordered: int
    product: ItemProduct
    fulfillment: ItemFulfillment | None = None


class Order(CamelModel):
    """An order as getOrder and searchOrders (Orders API 2026-01-01) return it."""

    order_id: str
    created_time: datetime
    last_updated_time: datetime
    sales_channel: SalesChannel
    order_items: list[OrderItem] = Field(default_factory=list)
    fulfillment: OrderFulfillment | None = None
    proceeds: OrderProceeds | None = None
    programs: list[str] = Field(default_factory=list)


class GetOrderResponse(CamelModel):
    """The body of getOrder (GetOrderResponse)."""

    order: Order


class Pagination(CamelModel):
    """searchOrders paging: the token for the next page, None on the last."""

    next_token: str | None = None


class SearchOrdersResponse(CamelModel):
    """One page of searchOrders, with the time bounds Amazon applied (SearchOrdersResponse)."""

    orders: list[Order]
    pagination: Pagination | None = None
    last_updated_before: datetime | None = None
    created_before: datetime | None = None
