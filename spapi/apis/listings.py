"""Listings Items API 2021-08-01."""

from __future__ import annotations

from collections.abc import Sequence

from spapi.apis.result import ApiResult, validated
from spapi.credentials import SellingPartner
from spapi.models.listings import ListingsItem
from spapi.operation import Operation
from spapi.requester import Requester

GET_LISTINGS_ITEM = Operation.of("listingsItems_2021-08-01.getListingsItem")
DEFAULT_INCLUDED_DATA = ("summaries", "issues", "offers", "fulfillmentAvailability")


class ListingsItemsApi:
    """getListingsItem."""

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    async def get_listings_item(
        self,
        partner: SellingPartner,
        *,
        seller_id: str,
        sku: str,
        marketplace_ids: Sequence[str],
        included_data: Sequence[str] = DEFAULT_INCLUDED_DATA,
        issue_locale: str | None = None,
    ) -> ApiResult[ListingsItem]:
        response = await self._requester.request(
            GET_LISTINGS_ITEM,
            partner,
            path_params={"sellerId": seller_id, "sku": sku},
            query={
                "marketplaceIds": list(marketplace_ids),
                "includedData": list(included_data),
                "issueLocale": issue_locale,
            },
        )
        return validated(ListingsItem, response)
