"""The demo's SP-API: the offline sandbox (Amazon's static examples) with the demo's sellers and data."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from consumer.demo.stream import (
    BUYABLE_SKU,
    DELETED_SKU,
    DONE_DOCUMENT_ID,
    DONE_REPORT_ID,
    LISTINGS_SELLER,
    ORDER_ID,
    ORDER_SELLER,
    SHIPPED_AT,
    VENDOR,
)
from spapi.sandbox import SandboxServer, SandboxState
from spapi.sandbox.catalog import example_listings_item, example_order, put_listing, put_order

CLIENT_ID = "amzn1.application-oa2-client.demo"
CLIENT_SECRET = "demo-client-secret"  # noqa: S105 (the offline sandbox's, not a real one)
SELLERS = {
    ORDER_SELLER: "Atzr|demo-refresh-token-orders",
    LISTINGS_SELLER: "Atzr|demo-refresh-token-listings",
    VENDOR: "Atzr|demo-refresh-token-vendor",
}
REPORT_ROWS = 2_000


def _actionable_orders_report() -> bytes:
    header = "order-id\torder-item-id\tpurchase-date\tsku\tquantity-purchased\tquantity-to-ship\n"
    rows = (
        f"903-8868176-{2219830 + i}\t{60000000000000 + i}\t2026-11-2{i % 10}T10:00:00+00:00\t"
        f"NLS-SHOES-{i % 7:02d}\t1\t1\n"
        for i in range(REPORT_ROWS)
    )
    return gzip.compress((header + "".join(rows)).encode())


def seed(state: SandboxState) -> None:
    """Load the demo's order, listings and report into the sandbox, as Amazon holds them after the stream."""
    # Like Amazon: a subscription or destination the sandbox does not hold is a 404, not a static example.
    state.notifications.strict = True
    # Amazon's state after the stream's last change: both ORDER_CHANGEs are answered by one getOrder.
    put_order(state, example_order(ORDER_ID, last_updated_time=SHIPPED_AT, fulfillment_status="SHIPPED"))
    put_listing(state, LISTINGS_SELLER, example_listings_item(BUYABLE_SKU))
    put_listing(state, LISTINGS_SELLER, None, sku=DELETED_SKU)
    state.add_report(
        {
            "reportId": DONE_REPORT_ID,
            "reportType": "GET_FLAT_FILE_ACTIONABLE_ORDER_DATA",
            "processingStatus": "DONE",
            "createdTime": "2026-11-23T08:00:00Z",
            "processingEndTime": "2026-11-23T08:04:00Z",
            "marketplaceIds": ["ATVPDKIKX0DER"],
            "reportDocumentId": DONE_DOCUMENT_ID,
        }
    )
    state.add_document(DONE_DOCUMENT_ID, _actionable_orders_report(), compression="GZIP")


@asynccontextmanager
async def demo_sandbox() -> AsyncIterator[SandboxServer]:
    """The demo's sandbox, seeded and serving, for the length of the ``async with``."""
    state = SandboxState(
        clients={CLIENT_ID: CLIENT_SECRET},
        sellers={token: seller for seller, token in SELLERS.items()},
        record_limit=1_000,
    )
    seed(state)
    async with SandboxServer(state) as server:
        yield server
