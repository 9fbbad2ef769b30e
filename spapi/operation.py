"""An SP-API operation as the client calls it: key, HTTP method and path template, taken from the model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from spapi.model_catalog import operation_routes


@dataclass(frozen=True)
class Operation:
    """An operation of the shipped models: key (``api.operationId``), HTTP method, path, grantless or not."""

    key: str
    method: str
    path: str
    grantless: bool

    @property
    def name(self) -> str:
        return self.key.split(".", 1)[1]

    @classmethod
    def of(cls, key: str) -> Operation:
        """The operation with this key, from the shipped Swagger model (so paths can never drift from it)."""
        route = operation_routes().get(key)
        if route is None:
            raise KeyError(f"no SP-API operation {key!r} in the shipped models")
        return cls(key=key, method=route.method, path=route.path, grantless=route.grantless)

    def render_path(self, path_params: Mapping[str, str]) -> str:
        """The path with every ``{name}`` replaced by its percent-encoded value (SKUs may contain '/')."""
        path = self.path
        for name, value in path_params.items():
            placeholder = "{" + name + "}"
            if placeholder not in path:
                raise KeyError(f"{self.key} has no path parameter {name!r}")
            path = path.replace(placeholder, quote(str(value), safe=""))
        if "{" in path:
            raise KeyError(f"{self.key}: missing path parameters in {path}")
        return path
