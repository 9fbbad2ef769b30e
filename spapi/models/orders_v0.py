"""Orders API v0 (deprecated by Amazon since 2026-02-25): getOrder and getOrderItems."""

from __future__ import annotations

from pydantic import Field

from spapi.models.base import PascalModel


class MoneyV0(PascalModel):
    currency_code: str | None = None
    amount: str | None = None


class OrderV0(PascalModel):
    amazon_order_id: str
    purchase_date: str
    last_update_date: str
    order_status: str
    fulfillment_channel: str | None = None
    marketplace_id: str | None = None
    order_total: MoneyV0 | None = None


class GetOrderV0Response(PascalModel):
    payload: OrderV0


class OrderItemV0(PascalModel):
    asin: str = Field(alias="ASIN")
    seller_sku: str | None = Field(default=None, alias="SellerSKU")
    order_item_id: str
    quantity_ordered: int
    quantity_shipped: int | None = None
    title: str | None = None


class OrderItemsListV0(PascalModel):
    amazon_order_id: str
    order_items: list[OrderItemV0]
    next_token: str | None = None


class GetOrderItemsV0Response(PascalModel):
    payload: OrderItemsListV0
