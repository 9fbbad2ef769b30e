"""Parameter validation against the models: required parameters, enums, types, sizes, JSON bodies."""

from __future__ import annotations

import httpx
import pytest

from spapi.sandbox import SandboxState
from spapi.sandbox.validation import rules_for
from tests.fixtures.sandbox_http import SELLER_ID, Tokens

LISTING = f"/listings/2021-08-01/items/{SELLER_ID}/GM-ZDPI-9B4E"
GET_LISTING = "listingsItems_2021-08-01.getListingsItem"


def invalid_input(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["code"] == "InvalidInput"
    assert isinstance(error, dict)
    return error


def test_missing_required_query_parameter(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    response = http.get(LISTING, headers=Tokens.auth(tokens.seller))
    assert invalid_input(response)["message"] == "Missing required parameter: marketplaceIds"
    assert state.calls[GET_LISTING] == 1  # it reached the operation, and spent a token of the bucket


def test_empty_value_counts_as_missing(http: httpx.Client, tokens: Tokens) -> None:
    response = http.get(LISTING, params={"marketplaceIds": ""}, headers=Tokens.auth(tokens.seller))
    assert invalid_input(response)["message"] == "Missing required parameter: marketplaceIds"


def test_array_enum_is_checked_per_item(http: httpx.Client, tokens: Tokens) -> None:
    params = {"marketplaceIds": "ATVPDKIKX0DER", "includedData": "summaries,everything"}
    error = invalid_input(http.get(LISTING, params=params, headers=Tokens.auth(tokens.seller)))
    assert "'everything'" in error["message"]
    assert "includedData" in error["message"]
    assert "summaries" in error["details"]


def test_valid_csv_array_passes(http: httpx.Client, tokens: Tokens) -> None:
    params = {
        "marketplaceIds": "ATVPDKIKX0DER",
        "includedData": "summaries,issues,offers,fulfillmentAvailability",
    }
    assert http.get(LISTING, params=params, headers=Tokens.auth(tokens.seller)).status_code == 200


def test_order_included_data_enum(http: httpx.Client, tokens: Tokens) -> None:
    response = http.get(
        "/orders/2026-01-01/orders/1",
        params={"includedData": "BUYER,buyer"},
        headers=Tokens.auth(tokens.seller),
    )
    assert "'buyer'" in invalid_input(response)["message"]


def test_max_items(http: httpx.Client, tokens: Tokens) -> None:
    response = http.delete(
        LISTING, params={"marketplaceIds": "ATVPDKIKX0DER,A2EUQ1WTGCTBG2"}, headers=Tokens.auth(tokens.seller)
    )
    assert "at most 1" in invalid_input(response)["message"]


@pytest.mark.parametrize(("value", "expected"), [("ten", "integer"), ("0", "minimum"), ("101", "maximum")])
def test_integer_query_parameter(http: httpx.Client, tokens: Tokens, value: str, expected: str) -> None:
    params = {"reportTypes": "GET_FLAT_FILE_OPEN_LISTINGS_DATA", "pageSize": value}
    response = http.get("/reports/2021-06-30/reports", params=params, headers=Tokens.auth(tokens.seller))
    assert expected in invalid_input(response)["message"]


def test_missing_body(http: httpx.Client, tokens: Tokens) -> None:
    response = http.post("/reports/2021-06-30/reports", headers=Tokens.auth(tokens.seller))
    assert invalid_input(response)["message"] == "Missing required parameter: body"


def test_body_must_be_json(http: httpx.Client, tokens: Tokens) -> None:
    response = http.post(
        "/reports/2021-06-30/reports",
        content=b"{not json",
        headers={**Tokens.auth(tokens.seller), "content-type": "application/json"},
    )
    assert invalid_input(response)["message"] == "The request body is not valid JSON."


def test_body_of_another_media_type(http: httpx.Client, tokens: Tokens) -> None:
    response = http.post(
        "/reports/2021-06-30/reports",
        content=b"<xml/>",
        headers={**Tokens.auth(tokens.seller), "content-type": "application/xml"},
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["code"] == "UnsupportedMediaType"


def test_collection_formats() -> None:
    rule = rules_for(GET_LISTING).by_name("includedData")
    assert rule is not None
    assert rule.collection_format == "csv"
    assert rule.values(["a,b", "c"]) == ["a", "b", "c"]
    assert rules_for(GET_LISTING).by_name("nope") is None
