"""Orders API 2026-01-01 (the default; v0 is deprecated)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

import structlog

from spapi.apis.result import ApiResult, validated
from spapi.credentials import SellingPartner
from spapi.errors import BadRequest
from spapi.model_catalog import read_api_model
from spapi.models.orders import GetOrderResponse, Order, SearchOrdersResponse
from spapi.operation import Operation
from spapi.rdt import RestrictedDataTokens
from spapi.requester import Requester
from spapi.restricted import RestrictedResource

log = structlog.get_logger("spapi.orders")

GET_ORDER = Operation.of("orders_2026-01-01.getOrder")
SEARCH_ORDERS = Operation.of("orders_2026-01-01.searchOrders")
PII_DATASETS = frozenset({"BUYER", "RECIPIENT"})


@cache
def included_data_values() -> frozenset[str]:
    """The includedData values getOrder accepts, from the model (Amazon adds datasets over time)."""
    operation = read_api_model(GET_ORDER.key.split(".")[0])["paths"][GET_ORDER.path]["get"]
    parameter = next(p for p in operation["parameters"] if p["name"] == "includedData")
    return frozenset(parameter["items"]["enum"])


class OrdersApi:
    """getOrder and searchOrders; PII under a Restricted Data Token where the Tokens API grants one."""

    def __init__(self, requester: Requester, rdt: RestrictedDataTokens) -> None:
        self._requester = requester
        self._rdt = rdt
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
                await self._rdt.token(partner, [resource])
                restricted = [resource]
            except BadRequest as exc:
                self._rdt_refused.add(partner.id)
                log.warning("spapi.rdt_refused", selling_partner=partner.id, error=str(exc))
        response = await self._requester.request(
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
        last_updated_before: datetime | None = None,
        included_data: Sequence[str] = (),
        max_results_per_page: int | None = None,
        pagination_token: str | None = None,
    ) -> ApiResult[SearchOrdersResponse]:
        """One page of searchOrders; pass ``data.pagination.next_token`` back for the next, with the same
        other parameters (Amazon refuses a token sent with different ones; tokens expire after 24 hours)."""
        if created_after is None and last_updated_after is None and pagination_token is None:
            raise ValueError("searchOrders needs created_after or last_updated_after")
        response = await self._requester.request(
            SEARCH_ORDERS,
            partner,
            query={
                "marketplaceIds": list(marketplace_ids),
                "createdAfter": created_after.isoformat() if created_after else None,
                "lastUpdatedAfter": last_updated_after.isoformat() if last_updated_after else None,
                "lastUpdatedBefore": last_updated_before.isoformat() if last_updated_before else None,
                "includedData": list(included_data),
                "maxResultsPerPage": max_results_per_page,
                "paginationToken": pagination_token,
            },
        )
        return validated(SearchOrdersResponse, response)
