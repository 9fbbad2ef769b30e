"""Every operation the product calls, against the sandbox built from Amazon's models."""

from __future__ import annotations

import gzip
import hashlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from spapi import GRANTLESS, SellingPartner, SpApiClient
from spapi.errors import BadRequest, Conflict, DocumentDownloadError, NotFound
from spapi.models.notifications_api import EventFilter, ProcessingDirective
from spapi.sandbox import SandboxRequest, SandboxResponse, SandboxState
from spapi.sandbox.documents import gzip_stream


async def test_get_order_static_example(client: SpApiClient, seller: SellingPartner) -> None:
    result = await client.orders.get_order(
        seller,
        "171-9876543-2109876",
        included_data=[
            "BUYER",
            "RECIPIENT",
            "PROCEEDS",
            "EXPENSE",
            "PROMOTION",
            "CANCELLATION",
            "FULFILLMENT",
            "PACKAGES",
        ],
    )
    order = result.data
    assert order.order_id == "171-9876543-2109876"
    assert order.order_items
    assert order.order_items[0].order_item_id
    assert result.raw["orderId"] == "171-9876543-2109876"
    assert result.request_id


async def test_get_order_any_id_and_money(client: SpApiClient, seller: SellingPartner) -> None:
    result = await client.orders.get_order(seller, "902-0000000-0000001", included_data=["PROCEEDS"])
    assert result.data.order_id == "902-0000000-0000001"
    assert result.data.proceeds is None or isinstance(result.data.proceeds.grand_total.amount, Decimal)  # type: ignore[union-attr]


async def test_get_order_400_example_is_typed(
    client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:
    with pytest.raises(BadRequest) as caught:
        await client.orders.get_order(seller, "TEST_CASE_400")
    assert caught.value.status == 400
    assert caught.value.errors
    assert caught.value.request_id
    assert sandbox_state.calls["orders_2026-01-01.getOrder"] == 1  # a 400 is never retried


async def test_search_orders(client: SpApiClient, seller: SellingPartner) -> None:

    result = await client.orders.search_orders(
        seller,
        marketplace_ids=["A1VC38T7YXB528"],
        created_after=datetime(2024, 12, 25, tzinfo=UTC),
        included_data=[
            "BUYER",
            "RECIPIENT",
            "PROCEEDS",
            "EXPENSE",
            "PROMOTION",
            "CANCELLATION",
            "FULFILLMENT",
            "PACKAGES",
        ],
    )
    assert result.data.orders


async def test_get_listings_item(
    client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:
    result = await client.listings.get_listings_item(
        seller, seller_id=seller.id, sku="GM-ZDPI-9B4E", marketplace_ids=["ATVPDKIKX0DER"]
    )
    assert result.data.sku
    request = sandbox_state.requests[-1]
    assert request.query["includedData"] == ["summaries,issues,offers,fulfillmentAvailability"]


async def test_listings_sku_with_reserved_characters(
    client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:
    await client.listings.get_listings_item(
        seller, seller_id=seller.id, sku="A/B C#1", marketplace_ids=["ATVPDKIKX0DER"]
    )
    assert sandbox_state.requests[-1].path_params["sku"] == "A/B C#1"


async def test_get_report_and_document_download(
    client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:
    report = await client.reports.get_report(seller, "ID323")
    # The static sandbox pairs request ID323 with a response for "ReportId1"; the fake serves it as is.
    assert report.data.report_id == "ReportId1"
    assert report.data.processing_status == "IN_PROGRESS"
    text = b"sku\tprice\n" + b"".join(b"SKU-%d\t%d.99\n" % (i, i) for i in range(50_000))
    sandbox_state.add_document(
        "doc-gz",
        lambda: gzip_stream([text[i : i + 7000] for i in range(0, len(text), 7000)]),
        compression="GZIP",
    )
    received = bytearray()

    async def sink(piece: bytes) -> None:
        received.extend(piece)

    done = await client.reports.download_document(seller, "doc-gz", sink)
    assert bytes(received) == text
    assert done.size_bytes == len(text)
    assert done.compression == "GZIP"
    assert done.compressed_bytes < len(text)

    assert done.sha256 == hashlib.sha256(text).hexdigest()


async def test_plain_document(
    client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:
    sandbox_state.add_document("doc-plain", b"a,b\n1,2\n", compression=None)
    received = bytearray()

    async def sink(piece: bytes) -> None:
        received.extend(piece)

    done = await client.reports.download_document(seller, "doc-plain", sink)
    assert bytes(received) == b"a,b\n1,2\n"
    assert done.compression is None


async def test_truncated_gzip_is_an_error(
    client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:

    whole = gzip.compress(b"x" * 10_000)
    sandbox_state.add_document("doc-cut", whole[: len(whole) // 2], compression="GZIP")

    async def sink(piece: bytes) -> None:
        pass

    with pytest.raises(DocumentDownloadError, match="ended before"):
        await client.reports.download_document(seller, "doc-cut", sink)


async def test_notifications_destinations_are_grantless(
    client: SpApiClient, sandbox_state: SandboxState
) -> None:
    created = await client.notifications.create_destination(
        "spapi-notify", sqs_arn="arn:aws:sqs:us-east-1:123456789012:spapi-notify"
    )
    assert created.data.destination_id
    destinations = await client.notifications.get_destinations()
    assert destinations.data
    one = await client.notifications.get_destination(created.data.destination_id)
    assert one.data.destination_id
    await client.notifications.delete_destination(created.data.destination_id)
    kinds = {r.op_key: r.token_kind for r in sandbox_state.requests}
    assert kinds["notifications.createDestination"] == "grantless"
    assert kinds["notifications.getDestinations"] == "grantless"
    assert kinds["notifications.deleteDestination"] == "grantless"


async def test_notifications_subscriptions(
    client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:
    directive = ProcessingDirective(
        event_filter=EventFilter(event_filter_type="ORDER_CHANGE", marketplace_ids=["ATVPDKIKX0DER"])
    )
    created = await client.notifications.create_subscription(
        seller, "ORDER_CHANGE", payload_version="1.0", destination_id="dest-1", processing_directive=directive
    )
    assert created.data.subscription_id
    body = sandbox_state.requests[-1].json
    assert body["processingDirective"] == {
        "eventFilter": {"eventFilterType": "ORDER_CHANGE", "marketplaceIds": ["ATVPDKIKX0DER"]}
    }
    got = await client.notifications.get_subscription(seller, "ORDER_CHANGE")
    assert got is not None
    listed = await client.notifications.get_subscriptions(seller, ["ANY_OFFER_CHANGED"])
    assert isinstance(listed, list)
    by_id = await client.notifications.get_subscription_by_id("ORDER_CHANGE", "sub-1")
    assert by_id.data.subscription_id
    await client.notifications.delete_subscription_by_id("ORDER_CHANGE", "sub-1", principal=seller)
    kinds = [(r.op_key, r.token_kind) for r in sandbox_state.requests]
    assert ("notifications.getSubscriptionById", "grantless") in kinds
    assert ("notifications.deleteSubscriptionById", "seller") in kinds
    assert ("notifications.createSubscription", "seller") in kinds


async def test_conflict_and_not_found_are_typed(
    client: SpApiClient, seller: SellingPartner, sandbox_state: SandboxState
) -> None:
    def conflict(request: SandboxRequest) -> SandboxResponse:
        return SandboxResponse(409, {"errors": [{"code": "Conflict", "message": "Destination exists."}]})

    def missing(request: SandboxRequest) -> SandboxResponse:
        return SandboxResponse(404, {"errors": [{"code": "NotFound", "message": "No subscription."}]})

    sandbox_state.on("notifications.createDestination", conflict)
    sandbox_state.on("notifications.getSubscription", missing)
    with pytest.raises(Conflict) as caught:
        await client.notifications.create_destination("d", sqs_arn="arn:aws:sqs:us-east-1:1:q")
    assert caught.value.codes == ("Conflict",)
    assert await client.notifications.get_subscription(seller, "ORDER_CHANGE") is None
    with pytest.raises(ValueError, match="either an SQS"):
        await client.notifications.create_destination("d")
    assert GRANTLESS.scope == "sellingpartnerapi::notifications"
    _ = NotFound
