"""Routing METHOD + raw path to the operations of Amazon's models."""

from __future__ import annotations

import httpx
import pytest

from spapi.model_catalog import all_operations
from spapi.sandbox import SandboxState
from spapi.sandbox.routing import Router, default_router
from tests.fixtures.sandbox_http import Tokens


@pytest.mark.parametrize(
    ("method", "path", "key", "params"),
    [
        ("GET", "/orders/2026-01-01/orders/1-2-3", "orders_2026-01-01.getOrder", {"orderId": "1-2-3"}),
        ("GET", "/orders/v0/orders/1-2-3", "ordersV0.getOrder", {"orderId": "1-2-3"}),
        (
            "GET",
            "/orders/v0/orders/1/orderItems/buyerInfo",
            "ordersV0.getOrderItemsBuyerInfo",
            {"orderId": "1"},
        ),
        (
            "POST",
            "/notifications/v1/subscriptions/ORDER_CHANGE/testNotification",
            "notifications.sendTestNotification",
            {"notificationType": "ORDER_CHANGE"},
        ),
        (
            "GET",
            "/notifications/v1/subscriptions/ORDER_CHANGE/testNotification",
            "notifications.getSubscriptionById",
            {"notificationType": "ORDER_CHANGE", "subscriptionId": "testNotification"},
        ),
        (
            "GET",
            "/listings/2021-08-01/items/A1/A%2FB%20C%231",
            "listingsItems_2021-08-01.getListingsItem",
            {"sellerId": "A1", "sku": "A/B C#1"},
        ),
        (
            "DELETE",
            "/reports/2021-06-30/schedules/s-1",
            "reports_2021-06-30.cancelReportSchedule",
            {"reportScheduleId": "s-1"},
        ),
    ],
)
def test_routes(method: str, path: str, key: str, params: dict[str, str]) -> None:
    match = default_router().match(method, path)
    assert match is not None
    assert match.operation.key == key
    assert dict(match.path_params) == params


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/orders/2026-01-01/orders/"),
        ("GET", "/orders/2026-01-01/orders//x"),
        ("PUT", "/orders/2026-01-01/orders/1"),
        ("GET", "/nothing/here"),
        ("GET", "/"),
    ],
)
def test_no_route(method: str, path: str) -> None:
    assert default_router().match(method, path) is None


def test_every_operation_of_the_models_is_routable() -> None:
    router = Router(all_operations())
    for key, spec in all_operations().items():
        concrete = "/".join("x" if s.startswith("{") else s for s in spec.path.split("/"))
        match = router.match(spec.method, concrete)
        assert match is not None, key
        assert match.operation.key == key


def test_router_is_compiled_once() -> None:
    assert default_router() is default_router()


def test_unknown_route_is_an_amazon_404(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    response = http.get("/orders/2026-01-01/nothing", headers=Tokens.auth(tokens.seller))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-amzn-RequestId"]
    assert response.json()["errors"][0]["code"] == "NotFound"
    assert state.requests[-1].op_key is None
    assert state.requests[-1].status == 404


def test_recorded_url_is_what_was_sent(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    http.get(
        "/listings/2021-08-01/items/A1/A%2FB%201",
        params={"marketplaceIds": "ATVPDKIKX0DER"},
        headers=Tokens.auth(tokens.seller),
    )
    recorded = state.requests[-1]
    assert recorded.path == "/listings/2021-08-01/items/A1/A%2FB%201"
    assert recorded.url == f"{http.base_url}".rstrip("/") + recorded.path + "?marketplaceIds=ATVPDKIKX0DER"
    assert recorded.query == {"marketplaceIds": ["ATVPDKIKX0DER"]}
    assert recorded.path_params["sku"] == "A/B 1"
