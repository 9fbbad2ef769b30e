"""Retries: 429/5xx/transport errors are retried with backoff; other 4xx never; errors are typed."""

from __future__ import annotations

import pytest

from spapi import SellingPartner, SpApiClient
from spapi.errors import ClientError, QuotaExceeded, ServerError, TransportError, Unauthorized
from spapi.pacing import CallKey
from spapi.sandbox import SandboxServer, SandboxState
from tests.fixtures.spapi_config import make_config

GET_ORDER = "orders_2026-01-01.getOrder"
ORDER_ID = "171-9876543-2109876"


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
async def test_transient_statuses_are_retried(
    status: int, client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:
    sandbox_state.inject(GET_ORDER, status, times=2)
    result = await client.orders.get_order(seller, ORDER_ID)
    assert result.data.order_id == ORDER_ID
    assert sandbox_state.calls[GET_ORDER] == 3


async def test_server_error_after_the_retry_budget(sandbox: SandboxServer, seller: SellingPartner) -> None:
    sandbox.state.inject(GET_ORDER, 503, times=10)
    async with SpApiClient(make_config(sandbox, max_attempts=3)) as client:
        with pytest.raises(ServerError) as caught:
            await client.orders.get_order(seller, ORDER_ID)
    error = caught.value
    assert error.status == 503
    assert error.request_id
    assert error.rate_limit == 0.5
    assert error.selling_partner == seller.id
    assert "orders_2026-01-01.getOrder" in str(error)
    assert "503" in str(error)
    assert sandbox.state.calls[GET_ORDER] == 3


async def test_quota_exceeded_after_the_retry_budget_drains_the_bucket(
    sandbox: SandboxServer, seller: SellingPartner
) -> None:
    sandbox.state.inject(GET_ORDER, 429, times=10)
    async with SpApiClient(make_config(sandbox, max_attempts=2)) as client:
        with pytest.raises(QuotaExceeded) as caught:
            await client.orders.get_order(seller, ORDER_ID)
        assert caught.value.codes == ("QuotaExceeded",)
        state = await client.limiter.state(CallKey(seller.id, GET_ORDER, "na", client.config.lwa_client_id))
        assert state is not None
        assert state.available < 1


@pytest.mark.parametrize("status", [400, 403, 404, 413])
async def test_other_client_errors_are_not_retried(
    status: int, client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:
    sandbox_state.inject(GET_ORDER, status, times=5)
    with pytest.raises(ClientError) as caught:
        await client.orders.get_order(seller, ORDER_ID)
    assert getattr(caught.value, "status", None) == status
    assert sandbox_state.calls[GET_ORDER] == 1
    if status == 403:
        assert isinstance(caught.value, Unauthorized)


async def test_transport_errors_are_retried(
    client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:
    sandbox_state.drop_connection(GET_ORDER, times=2)
    result = await client.orders.get_order(seller, ORDER_ID)
    assert result.data.order_id == ORDER_ID


async def test_transport_errors_exhausted_are_typed(sandbox: SandboxServer, seller: SellingPartner) -> None:
    async with SpApiClient(make_config(sandbox, max_attempts=2)) as client:
        await client.lwa.access_token(seller)
        bad = make_config(sandbox, max_attempts=2, endpoint="http://127.0.0.1:9")
        async with SpApiClient(bad) as offline:
            with pytest.raises(TransportError, match="getOrder"):
                await offline.orders.get_order(seller, ORDER_ID)


async def test_slow_response_times_out_and_is_retried(sandbox: SandboxServer, seller: SellingPartner) -> None:
    sandbox.state.set_delay(GET_ORDER, 0.5)
    async with SpApiClient(make_config(sandbox, timeout=0.1, max_attempts=2)) as client:
        await client.lwa.access_token(seller)
        with pytest.raises(TransportError, match="Timeout"):
            await client.orders.get_order(seller, ORDER_ID)
    assert sandbox.state.calls[GET_ORDER] == 2
