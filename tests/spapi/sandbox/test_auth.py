"""x-amz-access-token enforcement: seller vs grantless tokens, Restricted Data Tokens, what gets recorded."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from spapi.sandbox import SandboxState
from tests.fixtures.clock import FakeClock
from tests.fixtures.sandbox_http import SELLER_ID, VENDOR_ID, Tokens

GET_ORDER_PATH = "/orders/2026-01-01/orders/171-9876543-2109876"
DESTINATIONS = "/notifications/v1/destinations"
SUBSCRIPTION_BY_ID = "/notifications/v1/subscriptions/ORDER_CHANGE/sub-1"
RDT_PATH = "/tokens/2021-03-01/restrictedDataToken"
INVALID = "The access token you provided is revoked, malformed or invalid."


def errors(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert isinstance(body, dict)
    result = body["errors"]
    assert isinstance(result, list)
    return result


@pytest.mark.parametrize("headers", [{}, {"x-amz-access-token": "Atza|forged"}], ids=["missing", "unknown"])
def test_missing_or_unknown_token(http: httpx.Client, state: SandboxState, headers: dict[str, str]) -> None:
    response = http.get(GET_ORDER_PATH, headers=headers)
    assert response.status_code == 403
    assert errors(response) == [
        {"code": "Unauthorized", "message": "Access to requested resource is denied.", "details": INVALID}
    ]
    assert response.headers["x-amzn-RequestId"]
    assert response.headers["x-amzn-RateLimit-Limit"] == "0.5"
    recorded = state.requests[-1]
    assert (recorded.status, recorded.token_kind, recorded.selling_partner_id) == (403, None, None)


def test_seller_token_on_seller_operation(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    response = http.get(GET_ORDER_PATH, headers=Tokens.auth(tokens.vendor))
    assert response.status_code == 200
    recorded = state.requests[-1]
    assert recorded.op_key == "orders_2026-01-01.getOrder"
    assert (recorded.token_kind, recorded.selling_partner_id) == ("seller", VENDOR_ID)
    assert recorded.headers["x-amz-access-token"] == tokens.vendor
    assert recorded.path_params == {"orderId": "171-9876543-2109876"}


def test_grantless_operation_needs_a_grantless_token(
    http: httpx.Client, state: SandboxState, tokens: Tokens
) -> None:
    refused = http.get(DESTINATIONS, headers=Tokens.auth(tokens.seller))
    assert refused.status_code == 403
    assert errors(refused)[0]["code"] == "Unauthorized"
    assert state.requests[-1].token_kind == "seller"
    accepted = http.get(DESTINATIONS, headers=Tokens.auth(tokens.grantless))
    assert accepted.status_code == 200
    assert (state.requests[-1].token_kind, state.requests[-1].selling_partner_id) == ("grantless", None)


def test_grantless_token_cannot_call_seller_operations(http: httpx.Client, tokens: Tokens) -> None:
    assert http.get(GET_ORDER_PATH, headers=Tokens.auth(tokens.grantless)).status_code == 403


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_subscription_by_id_takes_either_token(
    http: httpx.Client, state: SandboxState, tokens: Tokens, method: str
) -> None:
    for token, kind in ((tokens.seller, "seller"), (tokens.grantless, "grantless")):
        response = http.request(method, SUBSCRIPTION_BY_ID, headers=Tokens.auth(token))
        assert response.status_code == 200, response.text
        assert state.requests[-1].token_kind == kind


def create_rdt(http: httpx.Client, token: str, resources: list[dict[str, Any]]) -> httpx.Response:
    return http.post(RDT_PATH, headers=Tokens.auth(token), json={"restrictedResources": resources})


def test_rdt_issue_and_use(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    created = create_rdt(http, tokens.seller, [{"method": "GET", "path": GET_ORDER_PATH}])
    assert created.status_code == 200
    body = created.json()
    assert body["restrictedDataToken"].startswith("Atz.sprdt|")
    assert body["expiresIn"] == 3600
    used = http.get(GET_ORDER_PATH, headers=Tokens.auth(body["restrictedDataToken"]))
    assert used.status_code == 200
    assert (state.requests[-1].token_kind, state.requests[-1].selling_partner_id) == ("rdt", SELLER_ID)


def test_rdt_placeholder_covers_any_value_of_that_segment(http: httpx.Client, tokens: Tokens) -> None:
    resource = {"method": "GET", "path": "/orders/v0/orders/{orderId}/address", "dataElements": ["buyerInfo"]}
    rdt = create_rdt(http, tokens.seller, [resource]).json()["restrictedDataToken"]
    for order_id in ("902-1845936-5435065", "111-2222222-3333333"):
        assert http.get(f"/orders/v0/orders/{order_id}/address", headers=Tokens.auth(rdt)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/orders/2026-01-01/orders/999-0000000-0000000"),  # another order
        ("GET", "/orders/v0/orders/171-9876543-2109876"),  # another operation
        ("GET", DESTINATIONS),  # a grantless operation
    ],
)
def test_rdt_refused_outside_what_it_covers(
    http: httpx.Client, tokens: Tokens, method: str, path: str
) -> None:
    rdt = create_rdt(http, tokens.seller, [{"method": "GET", "path": GET_ORDER_PATH}]).json()[
        "restrictedDataToken"
    ]
    response = http.request(method, path, headers=Tokens.auth(rdt))
    assert response.status_code == 403
    assert errors(response)[0]["code"] == "Unauthorized"


def test_rdt_method_must_match(http: httpx.Client, tokens: Tokens) -> None:
    resource = {"method": "GET", "path": "/orders/v0/orders/{orderId}/shipment"}
    rdt = create_rdt(http, tokens.seller, [resource]).json()["restrictedDataToken"]
    body = {"marketplaceId": "ATVPDKIKX0DER", "shipmentStatus": "ReadyForPickup"}
    assert http.post("/orders/v0/orders/1/shipment", headers=Tokens.auth(rdt), json=body).status_code == 403


def test_rdt_expires_with_the_token_ttl(
    http: httpx.Client, state: SandboxState, tokens: Tokens, clock: FakeClock
) -> None:
    state.token_ttl = 120
    created = create_rdt(http, tokens.seller, [{"method": "GET", "path": GET_ORDER_PATH}]).json()
    assert created["expiresIn"] == 120
    clock.advance(120)
    response = http.get(GET_ORDER_PATH, headers=Tokens.auth(created["restrictedDataToken"]))
    assert response.status_code == 403
    assert errors(response)[0]["details"] == "The access token you provided has expired."


def test_rdt_needs_a_seller_token(http: httpx.Client, tokens: Tokens) -> None:
    assert create_rdt(http, tokens.grantless, [{"method": "GET", "path": GET_ORDER_PATH}]).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"restrictedResources": []},
        {"restrictedResources": [{"method": "FETCH", "path": GET_ORDER_PATH}]},
        {"restrictedResources": [{"method": "", "path": "/orders/v1/orders/1"}]},
        {"restrictedResources": [{"method": "GET", "path": "orders/v0/orders/1"}]},
        {"restrictedResources": [{"method": "GET"}]},
        {
            "restrictedResources": [
                {"method": "GET", "path": "/orders/v0/orders/1", "dataElements": "buyerInfo"}
            ]
        },
    ],
    ids=[
        "no-resources",
        "empty",
        "bad-method",
        "blank-method",
        "relative-path",
        "no-path",
        "elements-not-list",
    ],
)
def test_rdt_body_is_validated(http: httpx.Client, state: SandboxState, tokens: Tokens, body: Any) -> None:
    response = http.post(RDT_PATH, headers=Tokens.auth(tokens.seller), json=body)
    assert response.status_code == 400
    assert errors(response)[0]["code"] == "InvalidInput"
    assert not any(t.kind == "rdt" for t in state.tokens.values())


def test_rdt_request_body_is_recorded(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    resources = [{"method": "GET", "path": GET_ORDER_PATH}]
    create_rdt(http, tokens.seller, resources)
    assert state.requests[-1].json == {"restrictedResources": resources}
    assert state.calls["tokens_2021-03-01.createRestrictedDataToken"] == 1
