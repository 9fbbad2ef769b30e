"""What a column can hold, read from the table definitions, and PostgreSQL's text rules."""

from __future__ import annotations

import json

import pytest

from store.limits import integer_range, json_problems, max_length, text_problem, value_problem
from store.tables import LISTINGS_ITEMS, NOTIFICATIONS, ORDER_ITEMS, ORDERS


def test_limits_come_from_the_tables() -> None:
    assert max_length(NOTIFICATIONS.c.notification_id) == 128
    assert max_length(ORDERS.c.amazon_order_id) == 64
    assert max_length(NOTIFICATIONS.c.error) is None  # Text
    assert max_length(LISTINGS_ITEMS.c.statuses) is None  # JSON
    assert integer_range(ORDER_ITEMS.c.quantity_ordered) == (-(2**31), 2**31 - 1)
    assert integer_range(ORDERS.c.amazon_order_id) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("A" * 64, None),
        ("A" * 65, "is 65 characters long, more than the 64 of orders.amazon_order_id"),
        ("902-\x00-1", "contains a NUL character (U+0000), which PostgreSQL cannot store"),
        ("\ud800", "is not valid Unicode (an unpaired surrogate)"),
        (None, None),
    ],
)
def test_a_value_is_checked_against_its_column(value: str | None, expected: str | None) -> None:
    assert value_problem(value, ORDERS.c.amazon_order_id) == expected


def test_integers_are_checked_against_the_column_type() -> None:
    assert value_problem(2**31 - 1, ORDER_ITEMS.c.quantity_ordered) is None
    problem = value_problem(2**31, ORDER_ITEMS.c.quantity_ordered)
    assert problem is not None
    assert "order_items.quantity_ordered" in problem
    assert value_problem(True, ORDER_ITEMS.c.quantity_ordered) is None


def test_json_documents_are_walked_for_what_jsonb_refuses() -> None:
    document = json.loads(
        '{"Payload": {"Items": [{"Sku": "ok"}, {"Sku": "a\\u0000b"}], "Price": NaN, "k\\u0000": 1},'
        ' "Clean": "yes"}'
    )
    problems = dict(json_problems(document))
    assert set(problems) == {"Payload.Items[1].Sku", "Payload.Price", "Payload (a key)"}
    assert "NUL" in problems["Payload.Items[1].Sku"]
    assert "finite" in problems["Payload.Price"]
    assert text_problem("plain text") is None
