"""Answers from the models' examples, and responders that take precedence over them."""

from __future__ import annotations

import httpx
import pytest

from spapi.model_catalog import OperationSpec, all_operations
from spapi.sandbox import SandboxRequest, SandboxResponse, SandboxState
from spapi.sandbox.examples import _fallback, examples_for
from tests.fixtures.sandbox_http import SELLER_ID, Tokens

ALL_INCLUDED = "BUYER,RECIPIENT,PROCEEDS,EXPENSE,PROMOTION,CANCELLATION,FULFILLMENT,PACKAGES"
GET_ORDER = "orders_2026-01-01.getOrder"


def test_get_order_static_example(http: httpx.Client, tokens: Tokens) -> None:
    response = http.get(
        "/orders/2026-01-01/orders/171-9876543-2109876",
        params={"includedData": ALL_INCLUDED},
        headers=Tokens.auth(tokens.seller),
    )
    assert response.status_code == 200
    expected = all_operations()[GET_ORDER].responses["200"]["x-amzn-api-sandbox"]["static"][0]["response"]
    assert response.json() == expected


def test_static_400_example(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    response = http.get("/orders/2026-01-01/orders/TEST_CASE_400", headers=Tokens.auth(tokens.seller))
    assert response.status_code == 400
    assert response.json() == {"errors": [{"code": "InvalidInput", "message": "Invalid Input"}]}
    assert response.headers["x-amzn-RequestId"]
    assert response.headers["x-amzn-RateLimit-Limit"] == "0.5"
    assert state.calls[GET_ORDER] == 1


def test_any_order_id_gets_the_example_order_under_that_id(http: httpx.Client, tokens: Tokens) -> None:
    response = http.get("/orders/2026-01-01/orders/902-0000000-0000001", headers=Tokens.auth(tokens.seller))
    assert response.status_code == 200
    order = response.json()["order"]
    assert order["orderId"] == "902-0000000-0000001"
    assert "171-9876543-2109876" not in response.text
    assert order["orderItems"]


def test_substituted_value_is_json_escaped(http: httpx.Client, tokens: Tokens) -> None:
    response = http.get('/orders/2026-01-01/orders/a"b%5C', headers=Tokens.auth(tokens.seller))
    assert response.json()["order"]["orderId"] == 'a"b\\'


def test_date_time_parameters_match_as_instants(http: httpx.Client, tokens: Tokens) -> None:
    params = {
        "createdAfter": "2024-12-20T00:00:00+00:00",  # the example says 2024-12-20T00:00:00Z
        "marketplaceIds": "A2Q3Y263D00KWC",
        "includedData": "PAYMENT,TAX,FULFILLMENT,PROCEEDS,RECIPIENT,BUYER",  # order does not matter
    }
    response = http.get("/orders/2026-01-01/orders", params=params, headers=Tokens.auth(tokens.seller))
    assert response.status_code == 200
    assert response.json()["orders"][0]["orderId"] == "171-2345678-9012345"


def test_most_specific_example_wins(http: httpx.Client, tokens: Tokens) -> None:
    params = {
        "marketplaceIds": "ATVPDKIKX0DER",
        "includedData": "identifiers,issues",
        "mode": "VALIDATION_PREVIEW",
    }
    body = {"productType": "PRODUCT", "patches": [{"op": "replace", "path": "/attributes/x", "value": [1]}]}
    url = f"/listings/2021-08-01/items/{SELLER_ID}/VALIDATION_INVALID"
    response = http.patch(url, params=params, json=body, headers=Tokens.auth(tokens.seller))
    assert response.status_code == 200
    assert response.json()["status"] == "INVALID"
    plain = http.patch(
        f"/listings/2021-08-01/items/{SELLER_ID}/MY-SKU",
        params={"marketplaceIds": "ATVPDKIKX0DER"},
        json=body,
        headers=Tokens.auth(tokens.seller),
    )
    assert plain.json()["status"] == "ACCEPTED"


def test_body_parameters_match_by_equality(http: httpx.Client, tokens: Tokens) -> None:
    spec = all_operations()["reports_2021-06-30.createReport"]
    bad = spec.responses["400"]["x-amzn-api-sandbox"]["static"][0]
    response = http.post(
        "/reports/2021-06-30/reports",
        json=bad["request"]["parameters"]["body"]["value"],
        headers=Tokens.auth(tokens.seller),
    )
    assert response.status_code == 400
    assert response.json() == bad["response"]
    good = {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": ["ATVPDKIKX0DER"]}
    assert (
        http.post("/reports/2021-06-30/reports", json=good, headers=Tokens.auth(tokens.seller)).status_code
        == 202
    )


def test_no_content_example(http: httpx.Client, tokens: Tokens) -> None:
    body = {"marketplaceId": "ATVPDKIKX0DER", "shipmentStatus": "ReadyForPickup"}
    response = http.post("/orders/v0/orders/902-1/shipment", json=body, headers=Tokens.auth(tokens.seller))
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["x-amzn-RequestId"]


def test_swagger_examples_when_there_is_no_static_one(http: httpx.Client, tokens: Tokens) -> None:
    response = http.post(
        "/notifications/v1/subscriptions/ANY_OFFER_CHANGED/testNotification",
        json={"destinationId": "d-1"},
        headers=Tokens.auth(tokens.grantless),
    )
    assert response.status_code == 200
    assert response.json() == {}


def test_dynamic_only_operation_gets_a_minimal_body() -> None:
    base = all_operations()["notifications.getDestinations"]
    dynamic = {
        "200": {
            "schema": {"$ref": "#/definitions/GetDestinationsResponse"},
            "x-amzn-api-sandbox": {"dynamic": {}},
        }
    }
    spec = OperationSpec(
        api=base.api,
        operation_id="getDestinations",
        method="GET",
        path=base.path,
        parameters=(),
        responses=dynamic,
        usage_plan=None,
        grantless=True,
        deprecated=False,
        sandbox_only=False,
        description="",
    )
    example = _fallback(spec, (), {})
    assert (example.status, example.body) == (200, {"payload": []})


def test_examples_are_compiled_once() -> None:
    assert examples_for(GET_ORDER) is examples_for(GET_ORDER)


def test_responder_wins_and_may_fall_through(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    seen: list[SandboxRequest] = []

    def only_for_x(request: SandboxRequest) -> SandboxResponse | None:
        seen.append(request)
        if request.path_params["orderId"] != "X":
            return None
        return SandboxResponse(200, {"order": {"orderId": "X", "custom": True}}, {"x-extra": "1"})

    state.on(GET_ORDER, only_for_x)
    custom = http.get(
        "/orders/2026-01-01/orders/X", params={"includedData": "BUYER"}, headers=Tokens.auth(tokens.seller)
    )
    assert custom.json() == {"order": {"orderId": "X", "custom": True}}
    assert custom.headers["x-extra"] == "1"
    assert custom.headers["x-amzn-RequestId"]
    fallthrough = http.get("/orders/2026-01-01/orders/Y", headers=Tokens.auth(tokens.seller))
    assert fallthrough.json()["order"]["orderId"] == "Y"
    request = seen[0]
    assert (request.op_key, request.selling_partner_id, request.token_kind) == (
        GET_ORDER,
        SELLER_ID,
        "seller",
    )
    assert request.query == {"includedData": ["BUYER"]}
    state.off(GET_ORDER)
    assert (
        http.get("/orders/2026-01-01/orders/X", headers=Tokens.auth(tokens.seller)).json()["order"]["orderId"]
        == "X"
    )
    assert len(seen) == 2


def test_set_json_by_path_params(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    state.set_json(
        "reports_2021-06-30.getReport",
        {"reportId": "R1", "processingStatus": "DONE"},
        match={"reportId": "R1"},
    )
    state.set_json("reports_2021-06-30.cancelReport", None, status=204)
    got = http.get("/reports/2021-06-30/reports/R1", headers=Tokens.auth(tokens.seller))
    assert got.json() == {"reportId": "R1", "processingStatus": "DONE"}
    other = http.get("/reports/2021-06-30/reports/ID323", headers=Tokens.auth(tokens.seller))
    assert other.json()["reportId"] == "ReportId1"  # Amazon's static example for ID323, verbatim
    cancelled = http.delete("/reports/2021-06-30/reports/R1", headers=Tokens.auth(tokens.seller))
    assert (cancelled.status_code, cancelled.content) == (204, b"")


def test_responder_error_is_a_500(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    def broken(request: SandboxRequest) -> SandboxResponse | None:
        raise RuntimeError("bug in the test")

    state.on(GET_ORDER, broken)
    response = http.get("/orders/2026-01-01/orders/1", headers=Tokens.auth(tokens.seller))
    assert response.status_code == 500
    assert "bug in the test" in response.json()["errors"][0]["details"]


def test_unknown_operation_key_is_refused(state: SandboxState) -> None:
    with pytest.raises(KeyError, match=r"orders_2026-01-01\.getOrder\b"):
        state.on("orders_2026-01-01.getOrderz", lambda request: None)


def test_add_report(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    report = {"reportId": "R-9", "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "processingStatus": "DONE"}
    state.add_report(report)
    assert http.get("/reports/2021-06-30/reports/R-9", headers=Tokens.auth(tokens.seller)).json() == report
