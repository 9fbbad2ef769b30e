"""Answer an operation from the examples in Amazon's models, the way Amazon's static sandbox does.

Order: the ``x-amzn-api-sandbox`` static example whose ``request.parameters`` all match the request (the one
naming the most parameters wins, then document order); otherwise the operation's first 2xx example (static,
else Swagger ``examples``), with each string equal to the example's path-parameter value replaced by the
request's value, so getOrder for any orderId returns the example order under that id; otherwise, for an
operation whose sandbox is only ``dynamic``, a minimal 2xx body shaped by its response schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from spapi.model_catalog import OperationSpec, all_operations, load_api_model
from spapi.sandbox.responders import SandboxRequest
from spapi.sandbox.validation import ParamRule, rules_for

_NO_BODY = object()


@dataclass(frozen=True)
class Condition:
    """One ``request.parameters`` entry that carries a value."""

    name: str
    expected: Any
    rule: ParamRule | None

    def matches(self, request: SandboxRequest) -> bool:
        location = self.rule.location if self.rule is not None else "query"
        if location in ("body", "formData"):
            return request.json is not None and request.json == self.expected
        if location == "path":
            actual = request.path_params.get(self.name)
            return actual is not None and actual == _text(self.expected)
        if location == "header":
            header = request.headers.get(self.name.lower())
            return header is not None and header == _text(self.expected)
        raw = request.query.get(self.name)
        if not raw:
            return False
        if isinstance(self.expected, list):
            values = self.rule.values(raw) if self.rule is not None else raw
            # Query arrays are sets to Amazon: the same values in another order are the same request.
            return sorted(values) == sorted(_text(v) for v in self.expected)
        return len(raw) == 1 and _scalar_equal(self.expected, raw[0], self.rule)


@dataclass(frozen=True)
class Example:
    """One example answer of an operation, encoded once, with the request conditions it applies to."""

    status: int
    body: Any  # _NO_BODY for an empty response
    conditions: tuple[Condition, ...]
    # The example's path-parameter values, to be replaced by the request's.
    path_values: Mapping[str, str]
    encoded: bytes
    # ``encoded`` cut where a string equal to a path-parameter value stood: parts[i], slot i, parts[i + 1]...
    parts: tuple[bytes, ...]
    slots: tuple[str, ...]

    def matches(self, request: SandboxRequest) -> bool:
        return all(c.matches(request) for c in self.conditions)


@dataclass(frozen=True)
class Rendered:
    """An example answer ready to send: its status and encoded body."""

    status: int
    content: bytes  # empty for no body


@dataclass(frozen=True)
class OperationExamples:
    """An operation's examples: the static ones matched against a request, and the fallback."""

    static: tuple[Example, ...]  # most specific first
    fallback: Example

    def render(self, request: SandboxRequest) -> Rendered:
        chosen = next((e for e in self.static if e.matches(request)), self.fallback)
        return _render(chosen, request.path_params)


@cache
def examples_for(op_key: str) -> OperationExamples:
    """The compiled examples of one operation (once per process)."""
    spec = all_operations()[op_key]
    rules = rules_for(op_key)
    defaults = {
        p["name"]: str(p["x-example"])
        for p in spec.parameters
        if p.get("in") == "path" and isinstance(p.get("x-example"), str | int)
    }
    static: list[tuple[int, int, Example]] = []
    for code, response in spec.responses.items():
        if not code.isdigit() or not isinstance(response, Mapping):
            continue
        sandbox = response.get("x-amzn-api-sandbox") or {}
        for entry in sandbox.get("static") or ():
            parameters = (entry.get("request") or {}).get("parameters") or {}
            conditions = tuple(
                Condition(name, spec_["value"], rules.by_name(name))
                for name, spec_ in parameters.items()
                if isinstance(spec_, Mapping) and "value" in spec_
            )
            path_values = dict(defaults)
            for condition in conditions:
                if condition.rule is not None and condition.rule.location == "path":
                    path_values[condition.name] = _text(condition.expected)
            body = entry.get("response", _NO_BODY)
            example = _example(int(code), body, conditions, path_values)
            static.append((-len(conditions), len(static), example))
    in_document_order = tuple(example for _, _, example in static)
    static.sort(key=lambda item: (item[0], item[1]))
    most_specific_first = tuple(example for _, _, example in static)
    return OperationExamples(most_specific_first, _fallback(spec, in_document_order, defaults))


def _fallback(spec: OperationSpec, static: tuple[Example, ...], defaults: Mapping[str, str]) -> Example:
    """The operation's first 2xx example in document order, else a minimal body."""
    for example in static:
        if 200 <= example.status < 300:
            return example
    codes = sorted(int(c) for c in spec.responses if c.isdigit() and 200 <= int(c) < 300) or [200]
    for code in codes:
        examples = (spec.responses.get(str(code)) or {}).get("examples")
        if isinstance(examples, Mapping) and examples:
            body = examples.get("application/json", next(iter(examples.values())))
            return _example(code, body, (), defaults)
    code = codes[0]
    if code == 204:
        return _example(code, _NO_BODY, (), defaults)
    return _example(code, _minimal_body(spec, code), (), defaults)


def _minimal_body(spec: OperationSpec, code: int) -> Any:
    """``{}``, or ``{"payload": {}}`` / ``{"payload": []}`` when the response schema wraps a payload."""
    model = load_api_model(spec.api)
    schema = _resolve(model, (spec.responses.get(str(code)) or {}).get("schema") or {})
    if schema.get("type") == "array":
        return []
    payload = (schema.get("properties") or {}).get("payload")
    if payload is None:
        return {}
    return {"payload": [] if _resolve(model, payload).get("type") == "array" else {}}


def _resolve(model: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 20:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        schema = model.get("definitions", {}).get(name, {})
        seen += 1
    return schema


def _example(
    status: int, body: Any, conditions: tuple[Condition, ...], path_values: Mapping[str, str]
) -> Example:
    if body is _NO_BODY or status == 204:
        return Example(status, _NO_BODY, conditions, dict(path_values), b"", (b"",), ())
    encoded = _encode(body)
    parts, slots = _template(body, encoded, path_values)
    return Example(status, body, conditions, dict(path_values), encoded, parts, slots)


def _template(
    body: Any, encoded: bytes, path_values: Mapping[str, str]
) -> tuple[tuple[bytes, ...], tuple[str, ...]]:
    """Cut the encoded body at each string equal to a path-parameter value, once, at compile time.

    Rendering then only joins bytes, which keeps a big example (an order is ~2 KB of nested JSON) cheap at
    hundreds of requests per second. Strings are found by walking the parsed body, so object keys and
    substrings are never touched; NUL-delimited markers cannot collide with text in Amazon's examples.
    """
    by_value: dict[str, str] = {}
    for name, value in path_values.items():
        if value and value not in by_value:
            by_value[value] = name
    if not by_value or b"\\u0000" in encoded:
        return (encoded,), ()
    names = list(dict.fromkeys(by_value.values()))
    markers = {name: f"\x00slot{i}\x00" for i, name in enumerate(names)}

    def mark(value: Any) -> Any:
        if isinstance(value, str):
            name = by_value.get(value)
            return markers[name] if name is not None else value
        if isinstance(value, list):
            return [mark(v) for v in value]
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        return value

    return _cut(_encode(mark(body)), [_encode(markers[n]) for n in names], names)


def _cut(text: bytes, tokens: list[bytes], names: list[str]) -> tuple[tuple[bytes, ...], tuple[str, ...]]:
    parts: list[bytes] = []
    slots: list[str] = []
    position = 0
    while True:
        found = [(text.find(token, position), name, token) for token, name in zip(tokens, names, strict=True)]
        hits = [hit for hit in found if hit[0] >= 0]
        if not hits:
            parts.append(text[position:])
            return tuple(parts), tuple(slots)
        index, name, token = min(hits)
        parts.append(text[position:index])
        slots.append(name)
        position = index + len(token)


def _render(example: Example, path_params: Mapping[str, str]) -> Rendered:
    if example.body is _NO_BODY:
        return Rendered(example.status, b"")
    if not example.slots or all(
        path_params.get(name, old) == old for name, old in example.path_values.items()
    ):
        return Rendered(example.status, example.encoded)
    values = {name: _encode(path_params.get(name, example.path_values[name])) for name in set(example.slots)}
    out = [example.parts[0]]
    for slot, part in zip(example.slots, example.parts[1:], strict=True):
        out.append(values[slot])
        out.append(part)
    return Rendered(example.status, b"".join(out))


def _encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _scalar_equal(expected: Any, actual: str, rule: ParamRule | None) -> bool:
    if _text(expected) == actual:
        return True
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        try:
            return float(actual) == float(expected)
        except ValueError:
            return False
    if rule is not None and rule.format == "date-time" and isinstance(expected, str):
        # 2024-12-25T00:00:00Z and 2024-12-25T00:00:00+00:00 are the same instant to Amazon.
        return _instant(expected) is not None and _instant(expected) == _instant(actual)
    return False


def _instant(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
