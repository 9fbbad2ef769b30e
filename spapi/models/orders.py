"""Orders API 2026-01-01: what getOrder and searchOrders return."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from spapi.models.base import CamelModel


class Money(CamelModel):
    amount: Decimal
    currency_code: str


class SalesChannel(CamelModel):
    channel_name: str
    marketplace_id: str | None = None
    marketplace_name: str | None = None


class OrderProceeds(CamelModel):
    grand_total: Money | None = None


class OrderFulfillment(CamelModel):
    fulfillment_status: str
    fulfilled_by: str | None = None
    fulfillment_service_level: str | None = None


class ItemProduct(CamelModel):
    asin: str | None = None
    title: str | None = None
    seller_sku: str | None = None


class ItemFulfillment(CamelModel):
    quantity_fulfilled: int | None = None
    quantity_unfulfilled: int | None = None


class OrderItem(CamelModel):
    order_item_id: str
    quantity_ordered: int
    product: ItemProduct
    fulfillment: ItemFulfillment | None = None


class Order(CamelModel):
    order_id: str
    created_time: datetime
    last_updated_time: datetime
    sales_channel: SalesChannel
    order_items: list[OrderItem] = Field(default_factory=list)
    fulfillment: OrderFulfillment | None = None
    proceeds: OrderProceeds | None = None
    programs: list[str] = Field(default_factory=list)


class GetOrderResponse(CamelModel):
    order: Order


class Pagination(CamelModel):
    next_token: str | None = None


class SearchOrdersResponse(CamelModel):
    orders: list[Order]
    pagination: Pagination | None = None
    last_updated_before: datetime | None = None
    created_before: datetime | None = None
