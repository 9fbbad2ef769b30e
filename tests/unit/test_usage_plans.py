"""The generated usage-plan table matches Amazon's models."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scripts.gen_usage_plans import TARGET, render
from spapi.model_catalog import UsagePlan, all_operations
from spapi.usage_plans import USAGE_PLANS

SHARED_APIS = Path(__file__).resolve().parents[3] / "shared" / "spapi-models" / "apis"


def test_committed_table_is_what_the_generator_produces() -> None:
    assert TARGET.read_text(encoding="utf-8") == render(), "run: uv run python scripts/gen_usage_plans.py"


def test_every_operation_we_call_has_a_plan() -> None:
    for key in (
        "orders_2026-01-01.getOrder",
        "orders_2026-01-01.searchOrders",
        "ordersV0.getOrder",
        "ordersV0.getOrderItems",
        "listingsItems_2021-08-01.getListingsItem",
        "reports_2021-06-30.getReport",
        "reports_2021-06-30.getReportDocument",
        "tokens_2021-03-01.createRestrictedDataToken",
        "notifications.createDestination",
        "notifications.getSubscription",
        "notifications.createSubscription",
        "notifications.deleteSubscriptionById",
    ):
        assert key in USAGE_PLANS, key
    assert set(USAGE_PLANS) == set(all_operations())


@pytest.mark.parametrize(
    ("model", "path", "method", "key", "expected"),
    [
        (
            "orders_2026-01-01.json",
            "/orders/2026-01-01/orders/{orderId}",
            "get",
            "orders_2026-01-01.getOrder",
            UsagePlan(0.5, 30),
        ),
        (
            "listingsItems_2021-08-01.json",
            "/listings/2021-08-01/items/{sellerId}/{sku}",
            "get",
            "listingsItems_2021-08-01.getListingsItem",
            UsagePlan(5.0, 10),
        ),
        (
            "reports_2021-06-30.json",
            "/reports/2021-06-30/documents/{reportDocumentId}",
            "get",
            "reports_2021-06-30.getReportDocument",
            UsagePlan(0.0167, 15),
        ),
        (
            "notifications.json",
            "/notifications/v1/destinations",
            "post",
            "notifications.createDestination",
            UsagePlan(1.0, 5),
        ),
        (
            "tokens_2021-03-01.json",
            "/tokens/2021-03-01/restrictedDataToken",
            "post",
            "tokens_2021-03-01.createRestrictedDataToken",
            UsagePlan(1.0, 10),
        ),
    ],
)
def test_rows_match_the_official_model(
    model: str, path: str, method: str, key: str, expected: UsagePlan
) -> None:
    """Read the row straight from the reference copy in ../shared, independently of our parser."""
    if not SHARED_APIS.is_dir():
        pytest.skip("../shared/spapi-models is not beside the checkout")
    description = json.loads((SHARED_APIS / model).read_text())["paths"][path][method]["description"]
    table = description.split("**Usage Plan:**", 1)[1]
    rate, burst = re.findall(r"\|\s*([0-9.]+)\s*\|\s*([0-9]+)\s*\|", table)[0]
    assert UsagePlan(float(rate), int(burst)) == expected == USAGE_PLANS[key]


def test_shipped_models_are_the_official_ones() -> None:
    if not SHARED_APIS.is_dir():
        pytest.skip("../shared/spapi-models is not beside the checkout")
    shipped = Path(__file__).resolve().parents[2] / "spapi" / "amazon_models" / "apis"
    for official in SHARED_APIS.glob("*.json"):
        assert (shipped / official.name).read_bytes() == official.read_bytes(), official.name
