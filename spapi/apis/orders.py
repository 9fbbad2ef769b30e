"""Orders API 2026-01-01 (the default; v0 is deprecated)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from spapi.apis.result import ApiResult
from spapi.credentials import SellingPartner
from spapi.errors import BadRequest
from spapi.models.orders import GetOrderResponse, Order, SearchOrdersResponse
from spapi.operation import Operation
from spapi.rdt import RestrictedResource

if TYPE_CHECKING:
    from spapi.client import SpApiClient

log = structlog.get_logger("spapi.orders")

GET_ORDER = Operation.of("orders_2026-01-01.getOrder")
SEARCH_ORDERS = Operation.of("orders_2026-01-01.searchOrders")
PII_DATASETS = frozenset({"BUYER", "RECIPIENT"})


class OrdersApi:
    def __init__(self, client: SpApiClient) -> None:
        self._client = client
        # Selling partners for whom the Tokens API refused an RDT for this API version (see get_order).
        self._rdt_refused: set[str] = set()

    async def get_order(
        self,
        partner: SellingPartner,
        order_id: str,
        *,
        included_data: Sequence[str] = (),
        use_rdt: bool = True,
    ) -> ApiResult[Order]:
        """getOrder with ``includedData``; BUYER/RECIPIENT (PII) are requested under a Restricted Data Token.

        Amazon's documentation says v2026-01-01 grants PII by role without an RDT; when the Tokens API
        refuses an RDT for this path we fall back to the ordinary access token for that seller.
        """
        restricted = None
        if use_rdt and PII_DATASETS & set(included_data) and partner.id not in self._rdt_refused:
            resource = RestrictedResource("GET", GET_ORDER.render_path({"orderId": order_id}))
            try:
                await self._client.rdt.token(partner, [resource])
                restricted = [resource]
            except BadRequest as exc:
                self._rdt_refused.add(partner.id)
                log.warning("spapi.rdt_refused", selling_partner=partner.id, error=str(exc))
        response = await self._client.request(
            GET_ORDER,
            partner,
            path_params={"orderId": order_id},
            query={"includedData": list(included_data)},
            restricted=restricted,
        )
        raw = response.json()
        return ApiResult.of(GetOrderResponse.model_validate(raw).order, raw.get("order"), response)

    async def search_orders(
        self,
        partner: SellingPartner,
        *,
        marketplace_ids: Sequence[str],
        created_after: datetime | None = None,
        last_updated_after: datetime | None = None,
        included_data: Sequence[str] = (),
        max_results_per_page: int | None = None,
        pagination_token: str | None = None,
    ) -> ApiResult[SearchOrdersResponse]:
        """One page of searchOrders; pass ``data.pagination.next_token`` back for the next."""
        if created_after is None and last_updated_after is None and pagination_token is None:
            raise ValueError("searchOrders needs created_after or last_updated_after")
        response = await self._client.request(
            SEARCH_ORDERS,
            partner,
            query={
                "marketplaceIds": list(marketplace_ids),
                "createdAfter": created_after.isoformat() if created_after else None,
                "lastUpdatedAfter": last_updated_after.isoformat() if last_updated_after else None,
                "includedData": list(included_data),
                "maxResultsPerPage": max_results_per_page,
                "paginationToken": pagination_token,
            },
        )
        raw = response.json()
        return ApiResult.of(SearchOrdersResponse.model_validate(raw), raw, response)
