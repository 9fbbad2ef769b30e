"""LWA tokens: caching, single flight, expiry, grantless scope, typed errors."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr

from spapi import GRANTLESS, SellingPartner, SpApiClient
from spapi.errors import InvalidClient, InvalidGrant, LwaError
from spapi.sandbox import SandboxServer, SandboxState
from tests.fixtures.clock import FakeClock
from tests.fixtures.spapi_config import CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID, make_config


async def test_token_is_cached(
    client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:
    first = await client.lwa.access_token(seller)
    second = await client.lwa.access_token(seller)
    assert first == second
    assert sandbox_state.lwa_requests["refresh_token"] == 1


async def test_one_refresh_for_100_concurrent_callers(
    client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:
    tokens = await asyncio.gather(*(client.lwa.access_token(seller) for _ in range(100)))
    assert len(set(tokens)) == 1
    assert sandbox_state.lwa_requests["refresh_token"] == 1


async def test_separate_keys_for_sellers_and_grantless(
    client: SpApiClient, seller: SellingPartner, vendor: SellingPartner, sandbox_state: SandboxState
) -> None:
    tokens = await asyncio.gather(
        client.lwa.access_token(seller), client.lwa.access_token(vendor), client.lwa.access_token(GRANTLESS)
    )
    assert len(set(tokens)) == 3
    assert sandbox_state.lwa_requests["refresh_token"] == 2
    assert sandbox_state.lwa_requests["client_credentials"] == 1


async def test_token_refreshed_before_expiry(sandbox: SandboxServer, seller: SellingPartner) -> None:
    sandbox.state.token_ttl = 61  # with the default 60 s skew, the token is stale after one second
    clock = FakeClock(0.0)
    async with SpApiClient(make_config(sandbox), clock=clock) as client:
        first = await client.lwa.access_token(seller)
        clock.now = 0.5
        assert await client.lwa.access_token(seller) == first
        clock.now = 1.5
        assert await client.lwa.access_token(seller) != first
    assert sandbox.state.lwa_requests["refresh_token"] == 2


async def test_expired_token_rejected_by_amazon_is_refreshed_once(
    sandbox: SandboxServer, seller: SellingPartner
) -> None:
    sandbox.state.token_ttl = 1
    # A skew of zero trusts the token for its whole life; Amazon's 403 "expired" must trigger a refresh.
    clock = FakeClock(0.0)
    async with SpApiClient(make_config(sandbox, token_refresh_skew=0.0), clock=clock) as client:
        await client.orders.get_order(seller, "171-9876543-2109876")
        sandbox.state.expire_all_tokens()
        result = await client.orders.get_order(seller, "171-9876543-2109876")
    assert result.data.order_id == "171-9876543-2109876"
    assert sandbox.state.lwa_requests["refresh_token"] == 2


async def test_invalid_grant_names_the_seller_not_the_token(sandbox: SandboxServer) -> None:
    sandbox.state.revoke(REFRESH_TOKEN)
    partner = SellingPartner(id=SELLER_ID, refresh_token=SecretStr(REFRESH_TOKEN))
    async with SpApiClient(make_config(sandbox)) as client:
        with pytest.raises(InvalidGrant) as caught:
            await client.orders.get_order(partner, "171-9876543-2109876")
    message = str(caught.value)
    assert SELLER_ID in message
    assert "authorise the application again" in message
    assert REFRESH_TOKEN not in message
    assert CLIENT_SECRET not in message
    assert REFRESH_TOKEN not in repr(caught.value.__dict__)
    assert sandbox.state.calls["orders_2026-01-01.getOrder"] == 0


async def test_wrong_client_secret(sandbox: SandboxServer, seller: SellingPartner) -> None:
    async with SpApiClient(make_config(sandbox, lwa_client_secret=SecretStr("wrong-secret-9"))) as client:
        with pytest.raises(InvalidClient) as caught:
            await client.lwa.access_token(seller)
    assert "wrong-secret-9" not in str(caught.value)
    assert caught.value.status == 401


async def test_lwa_outage_is_retried(sandbox: SandboxServer, seller: SellingPartner) -> None:
    sandbox.state.inject_lwa(503, times=2)
    async with SpApiClient(make_config(sandbox)) as client:
        assert await client.lwa.access_token(seller)
    assert sandbox.state.lwa_requests["refresh_token"] == 3


async def test_lwa_outage_that_persists_is_a_typed_error(
    sandbox: SandboxServer, seller: SellingPartner
) -> None:
    sandbox.state.inject_lwa(503, times=10)
    async with SpApiClient(make_config(sandbox)) as client:
        with pytest.raises(LwaError, match=SELLER_ID):
            await client.lwa.access_token(seller)
