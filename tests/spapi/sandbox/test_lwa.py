"""Login with Amazon: both grants, every error LWA answers, expiry, faults."""

from __future__ import annotations

import base64

import httpx
import pytest

from spapi.sandbox import SandboxServer, SandboxState
from tests.fixtures.clock import FakeClock
from tests.fixtures.sandbox_http import (
    CLIENT_ID,
    CLIENT_SECRET,
    NOTIFICATIONS_SCOPE,
    REFRESH_TOKEN,
    Tokens,
    fetch_token,
    grantless_grant,
    seller_grant,
)

GET_ORDER_PATH = "/orders/2026-01-01/orders/171-9876543-2109876"


def test_refresh_token_grant(http: httpx.Client, server: SandboxServer, state: SandboxState) -> None:
    response = http.post(server.lwa_url, data=seller_grant())
    assert response.status_code == 200
    body = response.json()
    assert body["access_token"].startswith("Atza|")
    assert body["refresh_token"] == REFRESH_TOKEN
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert response.headers["cache-control"] == "no-store"
    assert state.lwa_requests["refresh_token"] == 1


def test_client_credentials_grant(http: httpx.Client, server: SandboxServer, state: SandboxState) -> None:
    response = http.post(server.lwa_url, data=grantless_grant())
    assert response.status_code == 200
    body = response.json()
    assert body["access_token"].startswith("Atc|")
    assert body["scope"] == NOTIFICATIONS_SCOPE
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert state.lwa_requests["client_credentials"] == 1


def test_each_grant_issues_a_new_token(http: httpx.Client, server: SandboxServer) -> None:
    assert fetch_token(http, server, seller_grant()) != fetch_token(http, server, seller_grant())


def test_client_secret_in_basic_auth_header(http: httpx.Client, server: SandboxServer) -> None:
    form = seller_grant()
    del form["client_id"], form["client_secret"]
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    response = http.post(server.lwa_url, data=form, headers={"authorization": f"Basic {basic}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "overrides",
    [{"client_secret": "wrong-secret"}, {"client_id": "amzn1.application-oa2-client.unknown"}],
    ids=["wrong-secret", "unknown-client"],
)
def test_bad_client_is_invalid_client(
    http: httpx.Client, server: SandboxServer, overrides: dict[str, str]
) -> None:
    response = http.post(server.lwa_url, data=seller_grant(**overrides))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client", "error_description": "Client authentication failed"}


def test_unknown_refresh_token_is_invalid_grant(http: httpx.Client, server: SandboxServer) -> None:
    response = http.post(server.lwa_url, data=seller_grant("Atzr|nobody"))
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "The request has an invalid grant parameter : refresh_token",
    }


def test_revoked_refresh_token_is_invalid_grant(
    http: httpx.Client, server: SandboxServer, state: SandboxState
) -> None:
    assert http.post(server.lwa_url, data=seller_grant()).status_code == 200
    state.revoke(REFRESH_TOKEN)
    response = http.post(server.lwa_url, data=seller_grant())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    state.add_seller(REFRESH_TOKEN, "A1SANDBOXSELLER")  # the seller authorises the app again
    assert http.post(server.lwa_url, data=seller_grant()).status_code == 200


@pytest.mark.parametrize("missing", ["grant_type", "client_id", "client_secret", "refresh_token"])
def test_missing_field_is_invalid_request(http: httpx.Client, server: SandboxServer, missing: str) -> None:
    form = seller_grant()
    del form[missing]
    response = http.post(server.lwa_url, data=form)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert missing in body["error_description"]


def test_missing_scope_is_invalid_request(http: httpx.Client, server: SandboxServer) -> None:
    form = grantless_grant()
    del form["scope"]
    response = http.post(server.lwa_url, data=form)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_unknown_scope_is_invalid_scope(http: httpx.Client, server: SandboxServer) -> None:
    response = http.post(server.lwa_url, data=grantless_grant(scope="sellingpartnerapi::everything"))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_unsupported_grant_type(http: httpx.Client, server: SandboxServer) -> None:
    response = http.post(server.lwa_url, data=seller_grant(grant_type="authorization_code"))
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_json_body_is_accepted(http: httpx.Client, server: SandboxServer) -> None:
    assert http.post(server.lwa_url, json=seller_grant()).status_code == 200


def test_token_expires_after_ttl(
    http: httpx.Client, server: SandboxServer, state: SandboxState, clock: FakeClock
) -> None:
    state.token_ttl = 60
    token = fetch_token(http, server, seller_grant())
    assert http.get(GET_ORDER_PATH, headers=Tokens.auth(token)).status_code == 200
    clock.advance(59.9)
    assert http.get(GET_ORDER_PATH, headers=Tokens.auth(token)).status_code == 200
    clock.advance(0.1)
    response = http.get(GET_ORDER_PATH, headers=Tokens.auth(token))
    assert response.status_code == 403
    assert response.json() == {
        "errors": [
            {
                "code": "Unauthorized",
                "message": "Access to requested resource is denied.",
                "details": "The access token you provided has expired.",
            }
        ]
    }


def test_fractional_ttl_is_reported(http: httpx.Client, server: SandboxServer, state: SandboxState) -> None:
    state.token_ttl = 0.5
    assert http.post(server.lwa_url, data=seller_grant()).json()["expires_in"] == 0.5


def test_expire_all_tokens(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    state.expire_all_tokens()
    for token in (tokens.seller, tokens.grantless):
        response = http.get("/notifications/v1/destinations", headers=Tokens.auth(token))
        assert response.status_code == 403
        assert response.json()["errors"][0]["details"] == "The access token you provided has expired."


def test_revocation_leaves_issued_access_tokens_valid(
    http: httpx.Client, state: SandboxState, tokens: Tokens
) -> None:
    state.revoke(REFRESH_TOKEN)
    assert http.get(GET_ORDER_PATH, headers=Tokens.auth(tokens.seller)).status_code == 200


@pytest.mark.parametrize("status", [500, 503])
def test_injected_lwa_outage(
    http: httpx.Client, server: SandboxServer, state: SandboxState, status: int
) -> None:
    state.inject_lwa(status, times=2)
    for _ in range(2):
        response = http.post(server.lwa_url, data=seller_grant())
        assert response.status_code == status
        assert set(response.json()) == {"error", "error_description"}
    assert http.post(server.lwa_url, data=seller_grant()).status_code == 200
    assert state.lwa_requests["refresh_token"] == 3


def test_injected_lwa_fault_with_custom_body(
    http: httpx.Client, server: SandboxServer, state: SandboxState
) -> None:
    state.inject_lwa(429, body={"error": "slow_down"}, headers={"retry-after": "1"})
    response = http.post(server.lwa_url, data=grantless_grant())
    assert response.status_code == 429
    assert response.json() == {"error": "slow_down"}
    assert response.headers["retry-after"] == "1"


def test_dropped_lwa_connection(http: httpx.Client, server: SandboxServer, state: SandboxState) -> None:
    state.drop_connection("lwa")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(server.lwa_url, data=seller_grant())
    assert http.post(server.lwa_url, data=seller_grant()).status_code == 200
