"""What a responder sees and returns: the extension point for answers the models' examples cannot give.

Tests register responders with ``SandboxState.on``; the fake's own stateful operations (Restricted Data
Tokens, report documents) are responders of the same shape, registered in ``spapi.sandbox.behaviours``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from spapi.sandbox.tokens import TokenKind


@dataclass(frozen=True)
class SandboxRequest:
    """An SP-API request that passed authorisation, throttling and parameter validation."""

    op_key: str
    method: str
    path: str
    path_params: Mapping[str, str]
    query: Mapping[str, list[str]]
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    json: Any
    selling_partner_id: str | None
    token_kind: TokenKind | None
    # Where this server was reached, for URLs that point back at it (presigned document URLs).
    base_url: str = ""
    # For a request made with a Restricted Data Token: the dataElements the token grants for this path.
    data_elements: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SandboxResponse:
    """A responder's answer; a ``body`` of None is sent as an empty body."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


Responder = Callable[[SandboxRequest], SandboxResponse | None]
Endpoint = Callable[[Request], Awaitable[Response]]


def json_responder(body: Any, status: int = 200, match: Mapping[str, str] | None = None) -> Responder:
    """A responder answering ``body`` to requests whose path parameters include ``match`` (all if None)."""
    wanted = dict(match or {})

    def respond(request: SandboxRequest) -> SandboxResponse | None:
        if any(request.path_params.get(name) != value for name, value in wanted.items()):
            return None
        return SandboxResponse(status, body)

    return respond
