"""Restricted Data Tokens for PII."""

from __future__ import annotations

import asyncio

from spapi import SellingPartner, SpApiClient
from spapi.rdt import RestrictedResource
from spapi.sandbox import SandboxRequest, SandboxResponse, SandboxState

RDT_OP = "tokens_2021-03-01.createRestrictedDataToken"


async def test_pii_order_fetch_uses_a_cached_rdt(
    client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:
    for _ in range(3):
        await client.orders.get_order(seller, "171-9876543-2109876", included_data=["BUYER", "RECIPIENT"])
    orders = [r for r in sandbox_state.requests if r.op_key == "orders_2026-01-01.getOrder"]
    assert [r.token_kind for r in orders] == ["rdt", "rdt", "rdt"]
    assert sandbox_state.calls[RDT_OP] == 1
    rdt_request = next(r for r in sandbox_state.requests if r.op_key == RDT_OP)
    assert rdt_request.json == {
        "restrictedResources": [{"method": "GET", "path": "/orders/2026-01-01/orders/171-9876543-2109876"}]
    }


async def test_non_pii_fetch_uses_the_lwa_token(
    client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:
    await client.orders.get_order(seller, "171-9876543-2109876", included_data=["FULFILLMENT"])
    assert sandbox_state.requests[-1].token_kind == "seller"
    assert sandbox_state.calls[RDT_OP] == 0


async def test_rdt_refused_for_v2026_falls_back_to_the_access_token(
    client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:
    """Amazon documents that v2026-01-01 PII needs no RDT; a Tokens API refusal must not block orders."""

    def refuse(request: SandboxRequest) -> SandboxResponse:
        return SandboxResponse(
            400, {"errors": [{"code": "InvalidInput", "message": "Invalid resource path"}]}
        )

    sandbox_state.on(RDT_OP, refuse)
    for _ in range(2):
        result = await client.orders.get_order(seller, "171-9876543-2109876", included_data=["BUYER"])
        assert result.data.order_id == "171-9876543-2109876"
    assert sandbox_state.calls[RDT_OP] == 1  # remembered: not asked again for this seller
    assert sandbox_state.requests[-1].token_kind == "seller"


async def test_rdt_single_flight(
    client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:
    resource = RestrictedResource("GET", "/orders/v0/orders/{orderId}", ("buyerInfo",))
    tokens = await asyncio.gather(*(client.rdt.token(seller, [resource]) for _ in range(50)))
    assert len(set(tokens)) == 1
    assert sandbox_state.calls[RDT_OP] == 1
