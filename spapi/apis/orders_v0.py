"""Orders API v0: deprecated by Amazon (2026-02-25); kept behind a setting for applications not migrated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from spapi.apis.result import ApiResult
from spapi.credentials import SellingPartner
from spapi.models.orders_v0 import GetOrderItemsV0Response, GetOrderV0Response, OrderItemV0, OrderV0
from spapi.operation import Operation
from spapi.rdt import RestrictedResource

if TYPE_CHECKING:
    from spapi.client import SpApiClient

GET_ORDER_V0 = Operation.of("ordersV0.getOrder")
GET_ORDER_ITEMS_V0 = Operation.of("ordersV0.getOrderItems")


class OrdersV0Api:
    def __init__(self, client: SpApiClient) -> None:
        self._client = client

    async def get_order(
        self, partner: SellingPartner, order_id: str, *, data_elements: Sequence[str] = ()
    ) -> ApiResult[OrderV0]:
        """getOrder; ``data_elements`` (buyerInfo, shippingAddress) fetch PII under an RDT."""
        path = GET_ORDER_V0.render_path({"orderId": order_id})
        restricted = [RestrictedResource("GET", path, tuple(data_elements))] if data_elements else None
        response = await self._client.request(
            GET_ORDER_V0, partner, path_params={"orderId": order_id}, restricted=restricted
        )
        raw = response.json()
        return ApiResult.of(GetOrderV0Response.model_validate(raw).payload, raw.get("payload"), response)

    async def get_order_items(
        self, partner: SellingPartner, order_id: str, *, data_elements: Sequence[str] = ()
    ) -> ApiResult[list[OrderItemV0]]:
        """Every item of the order, following NextToken."""
        path = GET_ORDER_ITEMS_V0.render_path({"orderId": order_id})
        restricted = [RestrictedResource("GET", path, tuple(data_elements))] if data_elements else None
        items: list[OrderItemV0] = []
        raw_items: list[Any] = []
        next_token: str | None = None
        while True:
            response = await self._client.request(
                GET_ORDER_ITEMS_V0,
                partner,
                path_params={"orderId": order_id},
                query={"NextToken": next_token},
                restricted=restricted,
            )
            raw = response.json()
            page = GetOrderItemsV0Response.model_validate(raw).payload
            items.extend(page.order_items)
            raw_items.extend(raw["payload"]["OrderItems"])
            next_token = page.next_token
            if not next_token:
                return ApiResult.of(items, raw_items, response)
