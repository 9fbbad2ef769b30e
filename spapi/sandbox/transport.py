"""Closing a client's TCP connection without an HTTP response, to imitate network failures.

ASGI has no "abort" message, so the outermost wrapper remembers the server's transport for the request (the
``send`` callable uvicorn hands an app is a bound method of an object holding it). With another server, or
if uvicorn changes, the fallback is a response cut short, which clients also see as a transport error.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

_TRANSPORT = "spapi.sandbox.transport"


class ConnectionDropped(Exception):
    """Raised to the server when no transport could be found; uvicorn then closes the connection."""


def remember_transport(app: ASGIApp) -> ASGIApp:
    """Wrap the outermost app so that a request can find its TCP transport, to abort it."""

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            owner = getattr(send, "__self__", None)
            scope[_TRANSPORT] = getattr(owner, "transport", None)
        await app(scope, receive, send)

    return wrapper


async def abort(scope: Scope) -> bool:
    """Close the request's connection at once; False if the transport is unknown."""
    transport: Any = scope.get(_TRANSPORT)
    if transport is None or not hasattr(transport, "abort"):
        return False
    transport.abort()
    # The protocol's connection_lost runs on a later loop iteration; until it has, uvicorn would still think
    # the client is there and complain that no response was sent.
    for _ in range(3):
        await asyncio.sleep(0)
    return True


class DroppedResponse(Response):
    """A "response" that closes the connection instead of answering."""

    def __init__(self) -> None:
        super().__init__(status_code=500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if await abort(scope):
            return
        # Announce a body that never comes: the client sees the connection close mid-response.
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1024")]})
        raise ConnectionDropped("connection dropped by the sandbox")
