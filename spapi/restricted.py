"""A restricted resource: what a Restricted Data Token is asked for (Tokens API createRestrictedDataToken)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RestrictedResource:
    """A restricted operation's method and path (concrete, or with ``{placeholders}``), plus PII elements."""

    method: str
    path: str
    data_elements: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"method": self.method, "path": self.path}
        if self.data_elements:
            body["dataElements"] = list(self.data_elements)
        return body
