"""The generated usage-plan table matches Amazon's models (the vendored copy, spapi/amazon_models)."""

from __future__ import annotations

import json
import re

import pytest

from scripts.gen_usage_plans import TARGET, render
from spapi.model_catalog import APIS_DIR, UsagePlan, all_operations, api_names, load_api_model
from spapi.usage_plans import USAGE_PLANS


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
    """Read the row straight from the model file, independently of our parser."""
    document = json.loads((APIS_DIR / model).read_text(encoding="utf-8"))
    description = document["paths"][path][method]["description"]
    table = description.split("**Usage Plan:**", 1)[1]
    rate, burst = re.findall(r"\|\s*([0-9.]+)\s*\|\s*([0-9]+)\s*\|", table)[0]
    assert UsagePlan(float(rate), int(burst)) == expected == USAGE_PLANS[key]


def test_every_shipped_model_is_read_by_the_catalog() -> None:
    """That the shipped models are Amazon's own is checked by ``scripts/check_models.py REFERENCE_DIR``."""
    assert sorted(path.stem for path in APIS_DIR.glob("*.json")) == api_names()
    for api in api_names():
        assert load_api_model(api)["swagger"] == "2.0", api
