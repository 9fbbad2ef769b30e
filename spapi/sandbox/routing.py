"""Map an HTTP method and raw request path to an SP-API operation of the shipped Swagger models.

Routing works on the raw (still percent-encoded) path so that an encoded ``/`` inside a SKU stays inside its
segment; each segment is decoded only after it has been matched. A literal segment is tried before a
``{param}`` segment at the same depth, with backtracking, so ``.../{notificationType}/testNotification``
beats ``.../{notificationType}/{subscriptionId}`` for a POST whatever order the models list them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import unquote

from spapi.model_catalog import OperationSpec, all_operations


@dataclass(frozen=True)
class RouteMatch:
    """The operation a request's path names, with its decoded path parameters."""

    operation: OperationSpec
    path_params: Mapping[str, str]


@dataclass
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    param: _Node | None = None
    param_name: str | None = None
    operations: dict[str, OperationSpec] = field(default_factory=dict)


class Router:
    """A segment trie over every operation's path template."""

    def __init__(self, operations: Mapping[str, OperationSpec]) -> None:
        self._root = _Node()
        for spec in operations.values():
            self._add(spec)

    def _add(self, spec: OperationSpec) -> None:
        node = self._root
        for segment in _split(spec.path):
            if segment.startswith("{") and segment.endswith("}"):
                name = segment[1:-1]
                if node.param is None:
                    node.param = _Node()
                    node.param_name = name
                elif node.param_name != name:
                    # Two templates naming the same position differently would make path_params ambiguous.
                    raise ValueError(
                        f"{spec.key}: {{{name}}} clashes with {{{node.param_name}}} in {spec.path}"
                    )
                node = node.param
            elif "{" in segment:
                raise ValueError(f"{spec.key}: partial-segment parameters are not supported: {spec.path}")
            else:
                node = node.literals.setdefault(segment, _Node())
        # Keep the first model's operation if two models ever share a route.
        node.operations.setdefault(spec.method, spec)

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        """The operation for ``method`` and a raw path (no query), or None."""
        segments = _split(raw_path)
        if any(not s for s in segments):
            return None
        params: dict[str, str] = {}
        spec = self._walk(self._root, segments, 0, method.upper(), params)
        if spec is None:
            return None
        return RouteMatch(spec, params)

    def _walk(
        self, node: _Node, segments: list[str], index: int, method: str, params: dict[str, str]
    ) -> OperationSpec | None:
        if index == len(segments):
            return node.operations.get(method)
        raw = segments[index]
        literal = node.literals.get(unquote(raw))
        if literal is not None:
            found = self._walk(literal, segments, index + 1, method, params)
            if found is not None:
                return found
        if node.param is not None and node.param_name is not None:
            params[node.param_name] = unquote(raw)
            found = self._walk(node.param, segments, index + 1, method, params)
            if found is not None:
                return found
            del params[node.param_name]
        return None


def _split(path: str) -> list[str]:
    # No stripping: a trailing slash is a different resource to Amazon's gateway as well.
    return path.removeprefix("/").split("/")


@cache
def default_router() -> Router:
    """The router over every shipped model, compiled once per process."""
    return Router(all_operations())
