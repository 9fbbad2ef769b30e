"""Payloads without a typed model, validated against the JSON Schema Amazon publishes for their type.

Every official schema (spapi/amazon_models/notifications, draft-07) is matched to its notification type and
payload version by hand below: most files name neither. Only the payload is validated this way; the envelope
is the typed ``Notification``'s job, which accepts either key case and tolerates what Amazon is known to
leave out (NotificationVersion, EventTime, three of the four metadata keys).

The validator is fastjsonschema: it compiles a schema into Python once (5-140 ms per type, at first use) and
then checks a sample payload in 4-90 microseconds, where the reference implementation (jsonschema) takes
700-900 microseconds: a high-volume type such as ANY_OFFER_CHANGED must not cost close to a millisecond of
CPU per notification. Formats are not checked (Amazon's timestamps are not always RFC 3339, and the envelope
already takes them leniently) and defaults are never filled in (the payload is stored as it arrived).

Known quirks of the published files, honoured here (and checked by the tests, so a fix by Amazon shows):

- ``B2bAnyOfferChangedNotification.json`` spells its root reference ``#ref`` instead of ``$ref``; it is read
  as the ``$ref`` it means, so B2B_ANY_OFFER_CHANGED payloads are validated against ``Payload``.
- ``ShipmentTrackingMilestoneChangedNotification.json`` refers to ``#/definitions/Notification`` but its
  ``definitions`` are empty: there is no schema to apply, so SHIPMENT_TRACKING_MILESTONE_CHANGED payloads are
  validated for the envelope only.
- ``FBAInventoryAvailabilityChangeNotification.json`` and ``B2bAnyOfferChangedNotification.json`` have no
  top-level example; the payload example inside the former is its only official sample.

Error messages name the field path in Amazon's keys and the rule, never a value from the payload.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import fastjsonschema

from spapi.model_catalog import NOTIFICATION_SCHEMAS_DIR
from spapi.notifications.messages import MAX_IDENTIFIER, clip

# (notification type, payload version) -> the official schema file's name, without .json.
SCHEMA_FILES: Mapping[tuple[str, str], str] = {
    ("ANY_OFFER_CHANGED", "1.0"): "AnyOfferChangedNotification",
    ("B2B_ANY_OFFER_CHANGED", "1.0"): "B2bAnyOfferChangedNotification",
    ("BRANDED_ITEM_CONTENT_CHANGE", "1.0"): "BrandedItemContentChangeNotification",
    ("DATA_KIOSK_QUERY_PROCESSING_FINISHED", "2023-11-15"): "DataKioskQueryProcessingFinishedNotification",
    ("DETAIL_PAGE_TRAFFIC_EVENT", "2020-09-04"): "DetailPageTrafficEventNotification",
    ("FBA_INVENTORY_AVAILABILITY_CHANGES", "1.0"): "FBAInventoryAvailabilityChangeNotification",
    ("FBA_OUTBOUND_SHIPMENT_STATUS", "1.0"): "FBAOutboundShipmentStatusNotification",
    ("FEE_PROMOTION", "1.0"): "FeePromotionNotification",
    ("FEED_PROCESSING_FINISHED", "2020-09-04"): "FeedProcessingFinishedNotification",
    ("FULFILLMENT_ORDER_STATUS", "1.0"): "FulfillmentOrderStatusNotification",
    ("ITEM_INVENTORY_EVENT_CHANGE", "2020-09-04"): "ItemInventoryEventChangeNotification",
    ("ITEM_PRODUCT_TYPE_CHANGE", "1.0"): "ItemProductTypeChangeNotification",
    ("ITEM_SALES_EVENT_CHANGE", "2020-09-04"): "ItemSalesEventChangeNotification",
    ("LISTINGS_ITEM_ISSUES_CHANGE", "1.0"): "ListingsItemIssuesChangeNotification",
    ("LISTINGS_ITEM_ISSUES_CHANGE", "2023-12-13"): "ListingsItemIssuesChangeNotification_2023-12-13",
    ("LISTINGS_ITEM_MFN_QUANTITY_CHANGE", "1.0"): "ListingsItemMfnQuantityChange",
    ("LISTINGS_ITEM_STATUS_CHANGE", "1.0"): "ListingsItemStatusChangeNotification",
    ("ORDER_CHANGE", "1.0"): "OrderChangeNotification",
    ("PRICING_HEALTH", "1.0"): "PricingHealthNotification",
    ("PRODUCT_TYPE_DEFINITIONS_CHANGE", "1.0"): "ProductTypeDefinitionsChangeNotification",
    ("REPORT_PROCESSING_FINISHED", "2020-09-04"): "ReportProcessingFinishedNotification",
    ("SHIPMENT_TRACKING_MILESTONE_CHANGED", "2026-01-30"): "ShipmentTrackingMilestoneChangedNotification",
    ("TRANSACTION_UPDATE", "1.0"): "TransactionUpdateNotification",
}

# Files whose schema cannot be applied as published, and why (see the module docstring).
UNUSABLE_SCHEMAS: Mapping[str, str] = {
    "ShipmentTrackingMilestoneChangedNotification": "its $ref names a definition the file does not have",
}
_MISSPELLED_REF = "#ref"
DRAFT_07 = "http://json-schema.org/draft-07/schema"

PayloadValidator = Callable[[Any], Any]

_JSON_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "object": "an object",
    "array": "an array",
    "boolean": "a boolean",
    "null": "null",
}


class InvalidPayload(ValueError):
    """The payload breaks its type's published schema; the message names the field and the rule only."""


def load_schema(name: str) -> dict[str, Any]:
    """An official notification schema by file name (without .json), its root ``$ref`` spelled right."""
    path = NOTIFICATION_SCHEMAS_DIR / f"{name}.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if "$ref" not in schema and isinstance(schema.get(_MISSPELLED_REF), str):
        schema["$ref"] = schema.pop(_MISSPELLED_REF)
    return schema


def payload_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a notification schema that describes its payload, with the definitions it refers to."""
    root: Mapping[str, Any] = schema
    ref = root.get("$ref")
    if isinstance(ref, str):
        root = _pointer(schema, ref)
    properties = root.get("properties", {})
    node = properties.get("Payload", properties.get("payload"))
    if not isinstance(node, Mapping):
        raise KeyError("the schema describes no Payload")
    # References inside the payload point into the document's definitions: keep them beside it. Fragment-only
    # $ids (``"#/properties/Payload"``, left by the generator of several files) would be read as the base of
    # their subtree's references once the payload is the root: they are dropped.
    return {
        **_without_fragment_ids(node),
        "$schema": schema.get("$schema", DRAFT_07),
        "definitions": _without_fragment_ids(schema.get("definitions", {})),
    }


def _without_fragment_ids(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {
            key: _without_fragment_ids(value)
            for key, value in node.items()
            if not (key == "$id" and isinstance(value, str) and value.startswith("#"))
        }
    if isinstance(node, list):
        return [_without_fragment_ids(value) for value in node]
    return node


def _pointer(document: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    if not ref.startswith("#/"):
        raise KeyError(f"not a local reference: {ref}")
    node: Any = document
    for part in ref[2:].split("/"):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(f"unresolvable reference {ref}")
        node = node[part]
    if not isinstance(node, Mapping):
        raise KeyError(f"reference {ref} is not a schema")
    return node


def payload_validator(notification_type: str, payload_version: str) -> PayloadValidator | None:
    """The compiled payload validator of a type and version; None when Amazon publishes no usable schema.

    Compiling costs milliseconds (once per schema): call this off the event loop the first time for a type.
    """
    name = SCHEMA_FILES.get((notification_type, payload_version))
    if name is None or name in UNUSABLE_SCHEMAS:
        return None
    return _compiled(name)


@cache
def _compiled(name: str) -> PayloadValidator:
    # Cached by schema file only, so the cache is bounded by the shipped files, whatever types arrive.
    validator: PayloadValidator = fastjsonschema.compile(
        payload_schema(load_schema(name)), use_default=False, use_formats=False
    )
    return validator


def validate_payload(validator: PayloadValidator, payload: Any, payload_key: str) -> None:
    """Check ``payload`` with ``validator``; InvalidPayload says where (``Payload.X[0].Y``) and what rule."""
    try:
        validator(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        # Not chained: the exception carries the offending value, which may be buyer data.
        raise InvalidPayload(_describe(exc, payload_key)) from None


def _describe(exc: fastjsonschema.JsonSchemaValueException, payload_key: str) -> str:
    # fastjsonschema's path is ["data", key, "0", ...]: array indexes come as digit strings.
    path = payload_key + "".join(
        f"[{part}]" if str(part).isdigit() else f".{part}" for part in (exc.path or [])[1:]
    )
    rule, definition = exc.rule, exc.rule_definition
    if rule == "required" and isinstance(definition, list):
        present = exc.value if isinstance(exc.value, Mapping) else {}
        missing = [str(key) for key in definition if key not in present] or [str(k) for k in definition]
        return f"{clip(path + '.' + missing[0], 2 * MAX_IDENTIFIER)}: Field required"
    if rule == "type":
        kinds = definition if isinstance(definition, list) else [definition]
        words = " or ".join(_JSON_TYPE_WORDS.get(str(kind), str(kind)) for kind in kinds)
        return f"{clip(path, 2 * MAX_IDENTIFIER)}: Input should be {words}"
    if rule == "enum" and isinstance(definition, list):
        allowed = ", ".join(clip(repr(value), 40) for value in definition[:10])
        return f"{clip(path, 2 * MAX_IDENTIFIER)}: Input should be one of {allowed}"
    return f"{clip(path, 2 * MAX_IDENTIFIER)}: does not satisfy the schema's {rule!r} rule"
