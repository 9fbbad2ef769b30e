"""Operations come from the model; paths and queries are encoded the way SP-API expects."""

from __future__ import annotations

import pytest

from spapi.client import _encode_query, is_retryable
from spapi.errors import BadRequest, QuotaExceeded, ServerError, TransportError
from spapi.operation import Operation


def test_operation_is_read_from_the_model() -> None:
    op = Operation.of("listingsItems_2021-08-01.getListingsItem")
    assert (op.method, op.path, op.name) == (
        "GET",
        "/listings/2021-08-01/items/{sellerId}/{sku}",
        "getListingsItem",
    )
    assert Operation.of("notifications.createDestination").grantless
    assert not Operation.of("notifications.createSubscription").grantless


def test_unknown_operation() -> None:
    with pytest.raises(KeyError, match="no SP-API operation"):
        Operation.of("orders_2026-01-01.getOrdersss")


def test_path_parameters_are_percent_encoded() -> None:
    op = Operation.of("listingsItems_2021-08-01.getListingsItem")
    assert (
        op.render_path({"sellerId": "A1", "sku": "AB/12 #x"})
        == "/listings/2021-08-01/items/A1/AB%2F12%20%23x"
    )
    with pytest.raises(KeyError, match="missing path parameters"):
        op.render_path({"sellerId": "A1"})


def test_arrays_are_comma_separated_and_nones_dropped() -> None:
    assert _encode_query(
        {"includedData": ["BUYER", "PACKAGES"], "x": None, "flag": True, "n": 3, "e": []}
    ) == {
        "includedData": "BUYER,PACKAGES",
        "flag": "true",
        "n": "3",
    }


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (QuotaExceeded(operation="op", status=429, selling_partner="A1"), True),
        (ServerError(operation="op", status=500, selling_partner="A1"), True),
        (ServerError(operation="op", status=503, selling_partner="A1"), True),
        (ServerError(operation="op", status=501, selling_partner="A1"), False),
        (BadRequest(operation="op", status=400, selling_partner="A1"), False),
        (TransportError("op", "A1", ConnectionResetError()), True),
    ],
)
def test_what_is_retried(error: Exception, retry: bool) -> None:
    assert is_retryable(error) is retry
