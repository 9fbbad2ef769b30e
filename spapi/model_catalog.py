"""Read Amazon's Swagger models shipped in ``spapi/amazon_models``: operations, parameters, usage plans.

The operation key used everywhere in spapi-notify (rate-limit tables, the sandbox's call counters) is
``"<model file stem>.<operationId>"``, e.g. ``"orders_2026-01-01.getOrder"``: operationIds repeat across
API versions (Orders v0 and 2026-01-01 both have ``getOrder``), the file stem disambiguates them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

MODELS_DIR = Path(__file__).parent / "amazon_models"
APIS_DIR = MODELS_DIR / "apis"
NOTIFICATION_SCHEMAS_DIR = MODELS_DIR / "notifications"

_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
# "| Rate (requests per second) | Burst |" header, a separator row, then "| 0.5 | 30 |".
_USAGE_PLAN = re.compile(
    r"\|\s*Rate \(requests per second\)\s*\|\s*Burst\s*\|\s*\n"  # header
    r"\s*\|[-\s|]+\|\s*\n"  # separator
    r"\s*\|\s*([0-9.]+)\s*\|\s*([0-9]+)\s*\|"  # values
)
_GRANTLESS = re.compile(r"`?\w+`?\s+(?:operation\s+)?(?:API\s+)?is grantless", re.IGNORECASE)


@dataclass(frozen=True)
class UsagePlan:
    """Default rate (requests per second) and burst of one operation, from its model's Usage Plan table."""

    rate: float
    burst: int


@dataclass(frozen=True)
class OperationSpec:
    """One operation of one Swagger model."""

    api: str
    operation_id: str
    method: str
    path: str
    parameters: tuple[Mapping[str, Any], ...]
    responses: Mapping[str, Any]
    usage_plan: UsagePlan | None
    grantless: bool
    deprecated: bool
    sandbox_only: bool
    description: str = field(repr=False)

    @property
    def key(self) -> str:
        return f"{self.api}.{self.operation_id}"


def read_api_model(api: str) -> Mapping[str, Any]:
    """The parsed Swagger document of one API, by file stem (``"notifications"``, ``"ordersV0"``, ...).

    Parsed anew on each call: for code that needs a few facts from a model once (the daemon), so the
    document does not stay in memory.
    """
    path = APIS_DIR / f"{api}.json"
    if not path.is_file():
        raise KeyError(f"no SP-API model named {api!r} in {APIS_DIR}")
    result: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return result


@cache
def load_api_model(api: str) -> Mapping[str, Any]:
    """``read_api_model``, cached: for the sandbox and tests, which consult the models all the time."""
    return read_api_model(api)


def api_names() -> list[str]:
    """File stems of every shipped API model, sorted."""
    return sorted(p.stem for p in APIS_DIR.glob("*.json"))


def parse_usage_plan(description: str) -> UsagePlan | None:
    """The rate and burst in an operation description's "Usage Plan" table, or None when it has none."""
    match = _USAGE_PLAN.search(description)
    if match is None:
        return None
    return UsagePlan(rate=float(match.group(1)), burst=int(match.group(2)))


def _resolve_parameter(model: Mapping[str, Any], param: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = param.get("$ref")
    if ref is None:
        return param
    name = ref.rsplit("/", 1)[-1]
    resolved: Mapping[str, Any] = model["parameters"][name]
    return resolved


def iter_operations(api: str, model: Mapping[str, Any] | None = None) -> Iterator[OperationSpec]:
    """Every operation of one API model (``model``, default: its cached parse), in document order."""
    if model is None:
        model = load_api_model(api)
    for path, item in model["paths"].items():
        shared = [_resolve_parameter(model, p) for p in item.get("parameters", [])]
        for method, op in item.items():
            if method not in _HTTP_METHODS:
                continue
            params = shared + [_resolve_parameter(model, p) for p in op.get("parameters", [])]
            description = op.get("description", "")
            yield OperationSpec(
                api=api,
                operation_id=op["operationId"],
                method=method.upper(),
                path=path,
                parameters=tuple(params),
                responses=op.get("responses", {}),
                usage_plan=parse_usage_plan(description),
                grantless=bool(_GRANTLESS.search(description)),
                deprecated=bool(op.get("deprecated", False)),
                sandbox_only=bool(item.get("x-amzn-api-sandbox-only") or op.get("x-amzn-api-sandbox-only")),
                description=description,
            )


@cache
def all_operations() -> Mapping[str, OperationSpec]:
    """Every operation of every shipped model, by operation key."""
    return {op.key: op for api in api_names() for op in iter_operations(api)}


@dataclass(frozen=True)
class Route:
    """What the client needs of an operation: far smaller than its OperationSpec (examples, schemas)."""

    method: str
    path: str
    grantless: bool


@cache
def operation_routes() -> Mapping[str, Route]:
    """Every operation's method, path and grantless flag, by operation key.

    The models are parsed here without being cached: a daemon keeps only these few strings, not megabytes
    of Swagger documents it never reads again (the sandbox caches the full models for itself).
    """
    routes = {}
    for api in api_names():
        for spec in iter_operations(api, read_api_model(api)):
            routes[spec.key] = Route(method=spec.method, path=spec.path, grantless=spec.grantless)
    return routes


def notification_schema_files() -> list[Path]:
    """The official notification JSON Schemas, sorted by file name."""
    return sorted(NOTIFICATION_SCHEMAS_DIR.glob("*.json"))
