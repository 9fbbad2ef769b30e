"""Check a request's parameters against the operation's Swagger definition, as Amazon's front end does.

Covered: required path/query/header/body parameters, query types (integer, number, boolean), enums (of
scalars and of array items), numeric bounds, array sizes, a JSON body that parses and is sent as JSON.
Deliberately not covered: ``format: date-time``, because Amazon's own sandbox examples put markers like
``TEST_CASE_200`` in date parameters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from spapi.model_catalog import all_operations
from spapi.sandbox.errors import invalid_input, spapi_error

_SEPARATORS = {"csv": ",", "ssv": " ", "tsv": "\t", "pipes": "|"}


@dataclass(frozen=True)
class ParamRule:
    """What the model says of one parameter: where it goes, whether required, type, enum and bounds."""

    name: str
    location: str
    required: bool
    type: str | None
    format: str | None
    enum: frozenset[str] | None
    item_type: str | None
    item_enum: frozenset[str] | None
    collection_format: str
    minimum: float | None
    maximum: float | None
    min_items: int | None
    max_items: int | None

    @classmethod
    def of(cls, param: Mapping[str, Any]) -> ParamRule:
        items = param.get("items") or {}
        return cls(
            name=param["name"],
            location=param["in"],
            required=bool(param.get("required", param["in"] == "path")),
            type=param.get("type"),
            format=param.get("format"),
            enum=_enum(param.get("enum")),
            item_type=items.get("type"),
            item_enum=_enum(items.get("enum")),
            collection_format=param.get("collectionFormat", "csv"),
            minimum=param.get("minimum"),
            maximum=param.get("maximum"),
            min_items=param.get("minItems"),
            max_items=param.get("maxItems"),
        )

    def values(self, raw: list[str]) -> list[str]:
        """The array items of a query parameter (Swagger's default collectionFormat is csv)."""
        if self.type != "array" or self.collection_format == "multi":
            return raw
        separator = _SEPARATORS.get(self.collection_format, ",")
        return [item for value in raw for item in value.split(separator) if item != ""]


@dataclass(frozen=True)
class OperationRules:
    """The parameter rules of one operation, by where the parameters go."""

    path: tuple[ParamRule, ...]
    query: tuple[ParamRule, ...]
    header: tuple[ParamRule, ...]
    body: ParamRule | None

    def by_name(self, name: str) -> ParamRule | None:
        for rule in (*self.path, *self.query, *self.header):
            if rule.name == name:
                return rule
        if self.body is not None and self.body.name == name:
            return self.body
        return None


def _enum(values: Any) -> frozenset[str] | None:
    return frozenset(str(v) for v in values) if values else None


@cache
def rules_for(op_key: str) -> OperationRules:
    """The compiled parameter rules of one operation (once per process)."""
    rules = [ParamRule.of(p) for p in all_operations()[op_key].parameters]
    bodies = [r for r in rules if r.location in ("body", "formData")]
    return OperationRules(
        path=tuple(r for r in rules if r.location == "path"),
        query=tuple(r for r in rules if r.location == "query"),
        header=tuple(r for r in rules if r.location == "header"),
        body=bodies[0] if bodies else None,
    )


@dataclass(frozen=True)
class Validated:
    """The outcome of validation: an error body and its status, or the parsed JSON body."""

    error: dict[str, Any] | None = None
    status: int = 400
    json: Any = None


class _Invalid(Exception):
    def __init__(self, body: dict[str, Any], status: int = 400) -> None:
        super().__init__(body)
        self.body = body
        self.status = status


def validate(
    op_key: str,
    path_params: Mapping[str, str],
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
    body: bytes,
) -> Validated:
    """An Amazon-shaped 400 (or 415) for the first problem found, else the parsed JSON body."""
    rules = rules_for(op_key)
    try:
        for rule in rules.path:
            if rule.required and not path_params.get(rule.name):
                raise _Invalid(_missing(rule.name))
        for rule in rules.header:
            if rule.required and not headers.get(rule.name.lower()):
                raise _Invalid(_missing(rule.name))
        for rule in rules.query:
            raw = [v for v in query.get(rule.name, []) if v != ""]
            if raw:
                _check_query(rule, raw)
            elif rule.required:
                raise _Invalid(_missing(rule.name))
        return Validated(json=_body(rules.body, headers, body))
    except _Invalid as invalid:
        return Validated(invalid.body, invalid.status)


def _body(rule: ParamRule | None, headers: Mapping[str, str], body: bytes) -> Any:
    if rule is None:
        return None
    if not body.strip():
        if rule.required:
            raise _Invalid(_missing(rule.name))
        return None
    content_type = headers.get("content-type", "").lower()
    if content_type and "json" not in content_type:
        raise _Invalid(
            spapi_error("UnsupportedMediaType", f"The content type {content_type!r} is not supported."), 415
        )
    try:
        return json.loads(body)
    except ValueError:
        raise _Invalid(invalid_input("The request body is not valid JSON.")) from None


def _missing(name: str) -> dict[str, Any]:
    return invalid_input(f"Missing required parameter: {name}")


def _check_query(rule: ParamRule, raw: list[str]) -> None:
    if rule.type != "array":
        if len(raw) > 1:
            raise _Invalid(invalid_input(f"{rule.name} accepts a single value, got {len(raw)}."))
        _check_scalar(rule.name, raw[0], type_=rule.type, enum=rule.enum, low=rule.minimum, high=rule.maximum)
        return
    items = rule.values(raw)
    if rule.min_items is not None and len(items) < rule.min_items:
        raise _Invalid(
            invalid_input(f"{rule.name} needs at least {rule.min_items} value(s), got {len(items)}.")
        )
    if rule.max_items is not None and len(items) > rule.max_items:
        raise _Invalid(
            invalid_input(f"{rule.name} accepts at most {rule.max_items} value(s), got {len(items)}.")
        )
    for item in items:
        _check_scalar(rule.name, item, type_=rule.item_type, enum=rule.item_enum, low=None, high=None)


def _check_scalar(
    name: str,
    value: str,
    *,
    type_: str | None,
    enum: frozenset[str] | None,
    low: float | None,
    high: float | None,
) -> None:
    def bad(expected: str) -> _Invalid:
        return _Invalid(invalid_input(f"Invalid value '{value}' for parameter {name}: {expected}."))

    if enum is not None and value not in enum:
        raise _Invalid(
            invalid_input(
                f"Invalid value '{value}' for parameter {name}.",
                f"Allowed values: {', '.join(sorted(enum))}.",
            )
        )
    if type_ == "boolean" and value not in ("true", "false"):
        raise bad("expected true or false")
    if type_ not in ("integer", "number"):
        return
    try:
        number = int(value) if type_ == "integer" else float(value)
    except ValueError:
        raise bad(f"expected {'an integer' if type_ == 'integer' else 'a number'}") from None
    if low is not None and number < low:
        raise bad(f"minimum is {low:g}")
    if high is not None and number > high:
        raise bad(f"maximum is {high:g}")
