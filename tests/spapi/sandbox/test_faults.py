"""Scripted failures: injected statuses, dropped connections, slow responses."""

from __future__ import annotations

import time

import httpx
import pytest

from spapi.sandbox import SandboxServer, SandboxState
from tests.fixtures.sandbox_http import TLS, Tokens

GET_ORDER = "orders_2026-01-01.getOrder"
ORDER = "/orders/2026-01-01/orders/171-9876543-2109876"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "InvalidInput"),
        (403, "Unauthorized"),
        (404, "NotFound"),
        (429, "QuotaExceeded"),
        (500, "InternalFailure"),
        (503, "ServiceUnavailable"),
    ],
)
def test_injected_status_has_amazon_shape(
    http: httpx.Client, state: SandboxState, tokens: Tokens, status: int, code: str
) -> None:
    state.inject(GET_ORDER, status, times=2)
    for _ in range(2):
        response = http.get(ORDER, headers=Tokens.auth(tokens.seller))
        assert response.status_code == status
        assert response.json()["errors"][0]["code"] == code
        assert "expired" not in response.text  # an injected 403 must not look like a stale token
        assert response.headers["x-amzn-RequestId"]
        assert response.headers["x-amzn-RateLimit-Limit"] == "0.5"
    assert http.get(ORDER, headers=Tokens.auth(tokens.seller)).status_code == 200
    assert state.calls[GET_ORDER] == 3
    assert state.throttled[GET_ORDER] == (2 if status == 429 else 0)


def test_injected_body_and_headers(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    state.inject(
        GET_ORDER, 503, body={"errors": [{"code": "X", "message": "y"}]}, headers={"retry-after": "2"}
    )
    response = http.get(ORDER, headers=Tokens.auth(tokens.seller))
    assert response.json() == {"errors": [{"code": "X", "message": "y"}]}
    assert response.headers["retry-after"] == "2"


def test_injections_play_in_order(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    state.inject(GET_ORDER, 503, times=2)
    state.inject(GET_ORDER, 429)
    statuses = [http.get(ORDER, headers=Tokens.auth(tokens.seller)).status_code for _ in range(4)]
    assert statuses == [503, 503, 429, 200]


def test_injected_faults_come_before_throttling(
    http: httpx.Client, state: SandboxState, tokens: Tokens
) -> None:
    state.set_rate_limit(GET_ORDER, rate=1.0, burst=1)
    state.inject(GET_ORDER, 500, times=3)
    statuses = [http.get(ORDER, headers=Tokens.auth(tokens.seller)).status_code for _ in range(4)]
    assert statuses == [500, 500, 500, 200]  # the faults did not spend the bucket's only token


def test_injected_fault_even_without_a_token(http: httpx.Client, state: SandboxState) -> None:
    state.inject(GET_ORDER, 502)
    assert http.get(ORDER).status_code == 502


def test_dropped_connection(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    state.drop_connection(GET_ORDER, times=2)
    for _ in range(2):
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(ORDER, headers=Tokens.auth(tokens.seller))
    assert http.get(ORDER, headers=Tokens.auth(tokens.seller)).status_code == 200
    assert state.calls[GET_ORDER] == 3
    assert [r.status for r in state.requests if r.op_key == GET_ORDER] == [None, None, 200]


def test_slow_response_times_the_client_out(
    server: SandboxServer, state: SandboxState, tokens: Tokens
) -> None:
    state.set_delay(GET_ORDER, 0.3)
    with (
        httpx.Client(base_url=server.url, timeout=0.05, verify=TLS) as impatient,
        pytest.raises(httpx.ReadTimeout),
    ):
        impatient.get(ORDER, headers=Tokens.auth(tokens.seller))
    assert state.calls[GET_ORDER] == 1  # counted on arrival, before the delay


def test_delay_then_answer(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    state.set_delay(GET_ORDER, 0.1)
    started = time.monotonic()
    assert http.get(ORDER, headers=Tokens.auth(tokens.seller)).status_code == 200
    assert time.monotonic() - started >= 0.1
    state.set_delay(GET_ORDER, 0)
    assert http.get(ORDER, headers=Tokens.auth(tokens.seller)).status_code == 200


@pytest.mark.parametrize("times", [0, -1])
def test_invalid_times(state: SandboxState, times: int) -> None:
    with pytest.raises(ValueError, match="times"):
        state.inject(GET_ORDER, 500, times=times)
    with pytest.raises(ValueError, match="times"):
        state.drop_connection(GET_ORDER, times=times)
