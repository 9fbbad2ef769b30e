"""Pacing against a sandbox that enforces Amazon's token buckets."""

from __future__ import annotations

import asyncio

from spapi import SellingPartner, SpApiClient
from spapi.model_catalog import UsagePlan
from spapi.pacing import CallKey
from spapi.sandbox import SandboxServer
from tests.fixtures.spapi_config import make_config

OP = "listingsItems_2021-08-01.getListingsItem"


async def test_concurrent_calls_get_no_429(sandbox: SandboxServer, seller: SellingPartner) -> None:
    sandbox.state.set_rate_limit(OP, rate=40.0, burst=5)
    config = make_config(sandbox, rate_limit_overrides={OP: UsagePlan(40.0, 5)}, max_attempts=1)
    async with SpApiClient(config) as client:
        await asyncio.gather(
            *(
                client.listings.get_listings_item(
                    seller, seller_id=seller.id, sku=f"SKU-{i}", marketplace_ids=["ATVPDKIKX0DER"]
                )
                for i in range(40)
            )
        )
    assert sandbox.state.throttled[OP] == 0
    assert sandbox.state.calls[OP] == 40


async def test_rate_header_slows_the_client_down(sandbox: SandboxServer, seller: SellingPartner) -> None:
    """The model says 5/s, but Amazon tells this seller 20/s... or less: the header wins."""
    sandbox.state.set_rate_limit(OP, rate=2.0, burst=1)
    config = make_config(sandbox, rate_limit_overrides={OP: UsagePlan(50.0, 1)}, max_attempts=1)
    async with SpApiClient(config) as client:
        await client.listings.get_listings_item(
            seller, seller_id=seller.id, sku="S", marketplace_ids=["ATVPDKIKX0DER"]
        )
        state = await client.limiter.state(CallKey(seller.id, OP, "na", config.lwa_client_id))
        assert state is not None
        assert state.rate == 2.0
        for _ in range(2):
            await client.listings.get_listings_item(
                seller, seller_id=seller.id, sku="S", marketplace_ids=["ATVPDKIKX0DER"]
            )
    assert sandbox.state.throttled[OP] == 0
