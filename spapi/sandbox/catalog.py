"""Orders and listings items the fake remembers, so tests decide what getOrder and getListingsItem return.

``state.orders[order_id]`` is the ``order`` object getOrder answers (``example_order`` builds one from
Amazon's example); ``state.listings[(seller_id, sku)]`` the item getListingsItem answers, or None for a
deleted listing (404, as Amazon answers). Ids the fake does not hold fall through to the models' static
examples, unless ``state.strict_catalog`` is set: then they are 404 too. Both operations return only the
datasets the request's ``includedData`` asks for, as Amazon does.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from spapi.model_catalog import load_api_model
from spapi.sandbox.errors import spapi_error
from spapi.sandbox.responders import SandboxRequest, SandboxResponse
from spapi.sandbox.state import SandboxState

GET_ORDER = "orders_2026-01-01.getOrder"
GET_LISTINGS_ITEM = "listingsItems_2021-08-01.getListingsItem"

_ORDERS_API, _ORDER_PATH = "orders_2026-01-01", "/orders/2026-01-01/orders/{orderId}"
_LISTINGS_API, _LISTING_PATH = "listingsItems_2021-08-01", "/listings/2021-08-01/items/{sellerId}/{sku}"

# getOrder's datasets and the keys they add to the order and to each of its items.
_ORDER_DATASETS: Mapping[str, str] = {
    "BUYER": "buyer",
    "RECIPIENT": "recipient",
    "PROCEEDS": "proceeds",
    "EXPENSE": "expense",
    "PROMOTION": "promotion",
    "CANCELLATION": "cancellation",
    "FULFILLMENT": "fulfillment",
    "PACKAGES": "packages",
    "TAX": "tax",
    "PAYMENT": "payment",
    "FULFILLMENT_ORDERS": "fulfillmentOrders",
}
_LISTING_DATASETS = (
    "summaries",
    "attributes",
    "issues",
    "offers",
    "fulfillmentAvailability",
    "procurement",
    "relationships",
    "productTypes",
)


def _static_response(api: str, path: str, index: int = 0) -> dict[str, Any]:
    sandbox = load_api_model(api)["paths"][path]["get"]["responses"]["200"]["x-amzn-api-sandbox"]
    response: dict[str, Any] = sandbox["static"][index]["response"]
    return response


@cache
def _example_order() -> dict[str, Any]:
    order: dict[str, Any] = _static_response(_ORDERS_API, _ORDER_PATH)["order"]
    return order


@cache
def _example_listings_item() -> dict[str, Any]:
    return _static_response(_LISTINGS_API, _LISTING_PATH)


def _iso(value: datetime | str) -> str:
    return value if isinstance(value, str) else value.isoformat().replace("+00:00", "Z")


def example_order(
    order_id: str,
    *,
    last_updated_time: datetime | str | None = None,
    fulfillment_status: str | None = None,
    grand_total: tuple[str, str] | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """Amazon's getOrder example under ``order_id``, with these changes (``changes`` are top-level keys)."""
    order = copy.deepcopy(_example_order())
    order["orderId"] = order_id
    if last_updated_time is not None:
        order["lastUpdatedTime"] = _iso(last_updated_time)
    if fulfillment_status is not None:
        order["fulfillment"]["fulfillmentStatus"] = fulfillment_status
    if grand_total is not None:
        order["proceeds"]["grandTotal"] = {"amount": grand_total[0], "currencyCode": grand_total[1]}
    order.update(changes)
    return order


def example_listings_item(sku: str, **changes: Any) -> dict[str, Any]:
    """Amazon's getListingsItem example under ``sku``, with these top-level changes."""
    item = copy.deepcopy(_example_listings_item())
    item["sku"] = sku
    item.update(changes)
    return item


def put_order(state: SandboxState, order: Mapping[str, Any], seller_id: str | None = None) -> None:
    """Make getOrder answer (a copy of) this ``order`` object under its orderId; with ``seller_id``,
    searchOrders finds it for that seller too (spapi.sandbox.order_search)."""
    order_id = str(order["orderId"])
    with state.lock:
        state.orders[order_id] = copy.deepcopy(dict(order))
        if seller_id is not None:
            state.order_sellers[order_id] = seller_id


def put_listing(state: SandboxState, seller_id: str, item: Mapping[str, Any] | None, sku: str = "") -> None:
    """Serve ``item`` for (seller, its sku); None (with ``sku``) makes the listing deleted: 404."""
    key = (seller_id, sku or str((item or {})["sku"]))
    with state.lock:
        state.listings[key] = None if item is None else copy.deepcopy(dict(item))


def _csv(request: SandboxRequest, name: str) -> list[str]:
    # SP-API sends arrays in the query as comma-separated values.
    return [v for raw in request.query.get(name, []) for v in raw.split(",") if v]


def _not_found(what: str) -> SandboxResponse:
    return SandboxResponse(404, spapi_error("NOT_FOUND", f"{what} not found."))


def get_order(state: SandboxState, request: SandboxRequest) -> SandboxResponse | None:
    """getOrder: the stored order with the includedData datasets; an unknown id is 404 when strict."""
    order_id = request.path_params["orderId"]
    with state.lock:
        stored = state.orders.get(order_id)
        strict = state.strict_catalog
    if stored is None:
        return _not_found(f"Order {order_id}") if strict else None
    return SandboxResponse(200, {"order": with_datasets(stored, _csv(request, "includedData"))})


def with_datasets(stored: Mapping[str, Any], included_data: list[str]) -> dict[str, Any]:
    """A copy of a stored order with only the datasets ``included_data`` names (getOrder, searchOrders)."""
    wanted = {_ORDER_DATASETS[d] for d in included_data if d in _ORDER_DATASETS}
    dropped = set(_ORDER_DATASETS.values()) - wanted
    order = {k: v for k, v in copy.deepcopy(dict(stored)).items() if k not in dropped}
    order["orderItems"] = [
        {k: v for k, v in item.items() if k not in dropped} for item in order.get("orderItems", [])
    ]
    return order


def csv_values(request: SandboxRequest, name: str) -> list[str]:
    """A query array's values: SP-API sends them comma-separated."""
    return _csv(request, name)


def get_listings_item(state: SandboxState, request: SandboxRequest) -> SandboxResponse | None:
    """getListingsItem: the stored item, cut to includedData and marketplaceIds; 404 when deleted."""
    key = (request.path_params["sellerId"], request.path_params["sku"])
    with state.lock:
        known = key in state.listings
        stored = state.listings.get(key)
        strict = state.strict_catalog
    if stored is None:
        return _not_found(f"SKU {key[1]}") if known or strict else None
    wanted = set(_csv(request, "includedData") or ["summaries"])
    marketplaces = set(_csv(request, "marketplaceIds"))
    item: dict[str, Any] = {"sku": stored.get("sku", key[1])}
    for dataset in _LISTING_DATASETS:
        if dataset in wanted and dataset in stored:
            value = copy.deepcopy(stored[dataset])
            if dataset in ("summaries", "offers") and isinstance(value, list):
                value = [v for v in value if v.get("marketplaceId") in marketplaces]
            item[dataset] = value
    return SandboxResponse(200, item)
