"""searchOrders answered from the sandbox's orders: the caller's own, in the window, in order, paged; page
tokens tied to their search and to 24 hours; Amazon's 400 InvalidInput for what it refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from spapi.sandbox import SandboxServer, SandboxState
from spapi.sandbox.catalog import example_order, put_order
from spapi.sandbox.order_search import REFUSED_PAGE_MESSAGE
from tests.builders import iso
from tests.fixtures.clock import FakeClock
from tests.fixtures.sandbox_http import SELLER_ID, VENDOR_ID, Tokens, fetch_token, seller_grant

PATH = "/orders/2026-01-01/orders"
NOW = datetime.now(UTC).replace(microsecond=0)


def seed(state: SandboxState) -> list[str]:
    """Five orders of the seller changed 50..10 minutes ago (newest first by id), one of another account."""
    ids = []
    for i in range(5):
        order = example_order(f"111-{i}", last_updated_time=NOW - timedelta(minutes=10 + 10 * i))
        put_order(state, order, seller_id=SELLER_ID)
        ids.append(order["orderId"])
    put_order(
        state, example_order("999-0", last_updated_time=NOW - timedelta(minutes=30)), seller_id=VENDOR_ID
    )
    put_order(state, example_order("555-0", last_updated_time=NOW - timedelta(minutes=30)))  # nobody's
    return ids


def search(http: httpx.Client, tokens: Tokens, **params: Any) -> httpx.Response:
    return http.get(PATH, params=params, headers=Tokens.auth(tokens.seller))


def test_the_callers_orders_in_the_window_oldest_first_and_paged(
    http: httpx.Client, tokens: Tokens, state: SandboxState
) -> None:
    ids = seed(state)
    window = {
        "lastUpdatedAfter": iso(NOW - timedelta(minutes=45)),
        "lastUpdatedBefore": iso(NOW - timedelta(minutes=10)),  # inclusive
        "includedData": "FULFILLMENT",
        "maxResultsPerPage": 3,
    }
    first = search(http, tokens, **window).json()
    assert [o["orderId"] for o in first["orders"]] == [ids[3], ids[2], ids[1]]
    assert "proceeds" not in first["orders"][0]  # only the datasets asked for
    assert first["lastUpdatedBefore"] == window["lastUpdatedBefore"]
    token = first["pagination"]["nextToken"]
    # Another page size may follow a token (Amazon allows it); the other parameters must not change.
    second = search(http, tokens, **{**window, "maxResultsPerPage": 10}, paginationToken=token).json()
    assert [o["orderId"] for o in second["orders"]] == [ids[0]]
    assert "pagination" not in second
    # No upper bound given: two minutes before the request, as the answer says.
    unbounded = search(http, tokens, lastUpdatedAfter=iso(NOW - timedelta(hours=1))).json()
    assert [o["orderId"] for o in unbounded["orders"]] == list(reversed(ids))
    assert datetime.fromisoformat(unbounded["lastUpdatedBefore"]) <= datetime.now(UTC) - timedelta(minutes=2)


def test_a_page_token_holds_only_for_its_search_and_24_hours(
    http: httpx.Client, tokens: Tokens, state: SandboxState, clock: FakeClock, server: SandboxServer
) -> None:
    seed(state)
    window: dict[str, Any] = {"lastUpdatedAfter": iso(NOW - timedelta(hours=1)), "maxResultsPerPage": 2}
    token = search(http, tokens, **window).json()["pagination"]["nextToken"]
    moved = search(
        http,
        tokens,
        **{**window, "lastUpdatedAfter": iso(NOW - timedelta(minutes=30))},
        paginationToken=token,
    )
    assert moved.status_code == 400
    assert moved.json()["errors"][0] == {"code": "InvalidInput", "message": REFUSED_PAGE_MESSAGE}
    assert search(http, tokens, **window, paginationToken=token).status_code == 200
    clock.advance(24 * 3600 + 1)
    fresh = fetch_token(http, server, seller_grant())  # the access token expired too
    expired = http.get(PATH, params={**window, "paginationToken": token}, headers=Tokens.auth(fresh))
    assert expired.status_code == 400
    assert expired.json()["errors"][0]["message"] == REFUSED_PAGE_MESSAGE


def test_what_amazon_refuses_is_a_400_invalid_input(
    http: httpx.Client, tokens: Tokens, state: SandboxState
) -> None:
    seed(state)
    hour_ago = iso(NOW - timedelta(hours=1))
    refused: list[dict[str, Any]] = [
        {"maxResultsPerPage": 1},  # neither createdAfter nor lastUpdatedAfter
        {"createdAfter": hour_ago, "lastUpdatedAfter": hour_ago},
        {"lastUpdatedAfter": hour_ago, "lastUpdatedBefore": iso(datetime.now(UTC))},  # not 2 minutes ago
        {"lastUpdatedAfter": hour_ago, "lastUpdatedBefore": iso(NOW - timedelta(hours=2))},
        {"lastUpdatedAfter": hour_ago, "maxResultsPerPage": 101},
        {"lastUpdatedAfter": "yesterday"},
    ]
    for params in refused:
        response = search(http, tokens, **params)
        assert response.status_code == 400, params
        assert response.json()["errors"][0]["code"] == "InvalidInput"
