"""Payloads without a typed model, validated against Amazon's published schemas; the quirks we honour."""

from __future__ import annotations

import copy
import json
from typing import Any

import fastjsonschema
import pytest

from spapi.model_catalog import NOTIFICATION_SCHEMAS_DIR, notification_schema_files
from spapi.notifications.marketplace import find_marketplace_id
from spapi.notifications.schemas import (
    SCHEMA_FILES,
    UNUSABLE_SCHEMAS,
    InvalidPayload,
    load_schema,
    payload_validator,
    validate_payload,
)
from spapi.processing_reports import ProcessingReportReader

BUYER = "Jane Q. Buyer-7731"


def test_every_schema_file_is_matched_to_a_type_and_version() -> None:
    assert sorted(SCHEMA_FILES.values()) == [path.stem for path in notification_schema_files()]


def official_payloads() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for (kind, version), name in SCHEMA_FILES.items():
        schema = load_schema(name)
        for sample in schema.get("examples", []):
            found.append((kind, version, sample.get("Payload", sample.get("payload"))))
    inventory = load_schema("FBAInventoryAvailabilityChangeNotification")
    found += [
        ("FBA_INVENTORY_AVAILABILITY_CHANGES", "1.0", p)
        for p in inventory["properties"]["Payload"]["examples"]
    ]
    return found


@pytest.mark.parametrize(("kind", "version", "payload"), official_payloads(), ids=lambda v: str(v)[:40])
def test_every_official_payload_is_valid(kind: str, version: str, payload: dict[str, Any]) -> None:
    validator = payload_validator(kind, version)
    if SCHEMA_FILES[(kind, version)] in UNUSABLE_SCHEMAS:
        assert validator is None
        return
    assert validator is not None
    original = copy.deepcopy(payload)
    validate_payload(validator, payload, "Payload")
    assert payload == original  # no defaults filled in


def test_the_b2b_schema_still_misspells_its_root_reference_and_is_read_as_meant() -> None:
    # When Amazon fixes the file, this fails: the correction in load_schema can go.
    raw = json.loads((NOTIFICATION_SCHEMAS_DIR / "B2bAnyOfferChangedNotification.json").read_text("utf-8"))
    assert raw["#ref"] == "#/definitions/NotificationResponse"
    assert "$ref" not in raw
    assert load_schema("B2bAnyOfferChangedNotification")["$ref"] == "#/definitions/NotificationResponse"
    validator = payload_validator("B2B_ANY_OFFER_CHANGED", "1.0")
    assert validator is not None
    with pytest.raises(InvalidPayload, match=r"^Payload\.B2BAnyOfferChangedNotification: Field required$"):
        validate_payload(validator, {}, "Payload")


def test_the_shipment_tracking_schema_still_refers_to_a_missing_definition() -> None:
    # When Amazon fixes the file, this fails: drop it from UNUSABLE_SCHEMAS so its payloads are validated.
    schema = load_schema("ShipmentTrackingMilestoneChangedNotification")
    assert schema["$ref"] == "#/definitions/Notification"
    assert "Notification" not in schema["definitions"]
    with pytest.raises(fastjsonschema.JsonSchemaDefinitionException):
        fastjsonschema.compile(schema)
    assert payload_validator("SHIPMENT_TRACKING_MILESTONE_CHANGED", "2026-01-30") is None


def _offer_payload() -> dict[str, Any]:
    payload: dict[str, Any] = load_schema("AnyOfferChangedNotification")["examples"][0]["Payload"]
    return payload


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda n: n["OfferChangeTrigger"].pop("ASIN"),
            "Payload.AnyOfferChangedNotification.OfferChangeTrigger.ASIN: Field required",
        ),
        (
            lambda n: n["OfferChangeTrigger"].update(ASIN={"BuyerName": BUYER}),
            "Payload.AnyOfferChangedNotification.OfferChangeTrigger.ASIN: Input should be a string",
        ),
        (
            lambda n: n["Summary"].update(NumberOfOffers=BUYER),
            "Payload.AnyOfferChangedNotification.Summary.NumberOfOffers: Input should be an array",
        ),
        (
            lambda n: n["Offers"][0].update(IsFulfilledByAmazon=BUYER),
            "Payload.AnyOfferChangedNotification.Offers[0]: does not satisfy the schema's 'anyOf' rule",
        ),
    ],
)
def test_violations_name_the_field_and_the_rule_never_the_value(mutate: Any, expected: str) -> None:
    payload = _offer_payload()
    mutate(payload["AnyOfferChangedNotification"])
    validator = payload_validator("ANY_OFFER_CHANGED", "1.0")
    assert validator is not None

    with pytest.raises(InvalidPayload) as raised:
        validate_payload(validator, payload, "Payload")

    assert str(raised.value) == expected
    assert BUYER not in str(raised.value)
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


def test_types_and_versions_without_a_schema_have_no_validator() -> None:
    assert payload_validator("SOMETHING_NEW", "1.0") is None
    assert payload_validator("ANY_OFFER_CHANGED", "2.0") is None


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"A": {"B": {"MarketplaceId": "ATVPDKIKX0DER"}}}, "ATVPDKIKX0DER"),
        ({"marketplaceId": "A1PA6795UKMFR9", "x": {"MarketplaceId": "deeper"}}, "A1PA6795UKMFR9"),
        ({"events": [{"marketplaceId": "in a list"}]}, None),
        ({"a": {"b": {"c": {"d": {"MarketplaceId": "too deep"}}}}}, None),
        ({"MarketplaceId": "", "marketplaceId": 7}, None),
    ],
)
def test_find_marketplace_id(payload: dict[str, Any], expected: str | None) -> None:
    assert find_marketplace_id(payload) == expected


async def _read(pieces: list[bytes], limit: int = 1024 * 1024) -> tuple[str | None, dict[str, Any] | None]:
    reader = ProcessingReportReader(limit)
    for piece in pieces:
        await reader.feed(piece)
    result = reader.result()
    return result.format, None if result.summary is None else result.summary.model_dump()


async def test_processing_reports_are_recognised_and_json_summaries_parsed() -> None:
    summary = (
        b'"summary": {"errors": 1, "warnings": 2, "messagesProcessed": 5, "messagesAccepted": 4, '
        b'"messagesInvalid": 1}'
    )
    report = b'\xef\xbb\xbf  {"header": {"feedId": "1"}, "issues": [], ' + summary + b"}"
    assert await _read([report[:7], report[7:]]) == (
        "json",
        {"errors": 1, "warnings": 2, "messages_processed": 5, "messages_accepted": 4, "messages_invalid": 1},
    )
    assert await _read([b'{"header": {}, "summary": {"errors": "many"}}']) == ("json", None)
    assert await _read([b'{"header": {}}']) == ("json", None)
    assert await _read([b"\n<?xml version='1.0'?><AmazonEnvelope/>"]) == ("xml", None)
    assert await _read([b"Feed Processing Summary:\n\tNumber of records processed\t\t3\n"]) == ("text", None)
    assert await _read([b"{not json"]) == ("text", None)
    assert await _read([]) == (None, None)
    # Larger than the reader keeps: stored all the same, without counts.
    assert await _read([report, b" " * 2048], limit=len(report) + 100) == ("json", None)
