"""What an API group needs of the client: one call that sends an operation and returns its 2xx response.

The API groups (spapi.apis) take a Requester rather than the client class, so that the client can build
them without an import cycle, and a test can hand them anything that sends requests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from spapi.credentials import Principal
from spapi.http import HttpResponse
from spapi.operation import Operation
from spapi.restricted import RestrictedResource

QueryValue = str | int | float | bool | Sequence[str] | None


class Requester(Protocol):
    """Sends one operation, authorised, paced, signed and retried; raises a typed SpApiError."""

    async def request(
        self,
        operation: Operation,
        principal: Principal,
        *,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, QueryValue] | None = None,
        json: Any = None,
        restricted: Sequence[RestrictedResource] | None = None,
    ) -> HttpResponse: ...
