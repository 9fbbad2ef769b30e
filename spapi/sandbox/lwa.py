"""Login with Amazon's token endpoint (POST /auth/o2/token): refresh_token and client_credentials grants."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import Response

from spapi.sandbox.auth import KNOWN_SCOPES
from spapi.sandbox.errors import default_lwa_error, lwa_error
from spapi.sandbox.responders import Endpoint
from spapi.sandbox.state import LWA, SandboxState, expires_in
from spapi.sandbox.transport import DroppedResponse

LWA_PATH = "/auth/o2/token"
_GRANT_TYPES = frozenset({"refresh_token", "client_credentials"})


def _form(body: bytes, content_type: str) -> dict[str, str]:
    if "json" in content_type:
        # LWA accepts a JSON body too; some SDKs send one.
        try:
            loaded = json.loads(body or b"{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """client_secret_basic: credentials in an Authorization header instead of the form."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (unquote(client_id), unquote(secret)) if sep else None


def _response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")).encode(),
        status_code=status,
        headers={
            "content-type": "application/json;charset=UTF-8",
            "cache-control": "no-store",
            "pragma": "no-cache",
            "x-amzn-RequestId": str(uuid.uuid4()),
            **(headers or {}),
        },
    )


class _Refused(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.body = lwa_error(error, description)


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "")
    if not value:
        raise _Refused(400, "invalid_request", f"The request is missing a required parameter : {name}")
    return value


def token_endpoint(state: SandboxState) -> Endpoint:
    """The LWA token endpoint: scripted faults first, then the refresh_token or client_credentials grant."""

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        form = _form(body, request.headers.get("content-type", ""))
        grant_type = form.get("grant_type", "")
        with state.lock:
            state.lwa_requests[grant_type] += 1
            delay = state.faults.delay(LWA)
            drop = state.faults.take_drop(LWA)
            fault = None if drop else state.faults.take_fault(LWA)
        if delay:
            await asyncio.sleep(delay)
        if drop:
            return DroppedResponse()
        if fault is not None:
            fault_body = fault.body if fault.body is not None else default_lwa_error(fault.status)
            return _response(fault.status, fault_body, fault.headers)
        return _grant(state, form, request.headers.get("authorization"))

    return endpoint


def _grant(state: SandboxState, form: Mapping[str, str], authorization: str | None) -> Response:
    try:
        return _response(200, _issue(state, form, authorization))
    except _Refused as refused:
        return _response(refused.status, refused.body)


def _issue(state: SandboxState, form: Mapping[str, str], authorization: str | None) -> dict[str, Any]:
    grant_type = _required(form, "grant_type")
    if grant_type not in _GRANT_TYPES:
        raise _Refused(
            400, "unsupported_grant_type", "The authorization grant type is not supported by the server"
        )
    basic = _basic_credentials(authorization)
    if basic is not None:
        client_id, client_secret = basic
    else:
        client_id, client_secret = _required(form, "client_id"), _required(form, "client_secret")
    with state.lock:
        known_secret = state.clients.get(client_id)
    if known_secret is None or not hmac.compare_digest(known_secret.encode(), client_secret.encode()):
        raise _Refused(401, "invalid_client", "Client authentication failed")
    ttl = expires_in(state.token_ttl)
    if grant_type == "refresh_token":
        refresh_token = _required(form, "refresh_token")
        with state.lock:
            partner = None if refresh_token in state.revoked else state.sellers.get(refresh_token)
        if partner is None:
            raise _Refused(400, "invalid_grant", "The request has an invalid grant parameter : refresh_token")
        token = state.issue_token("seller", selling_partner_id=partner)
        return {
            "access_token": token,
            "refresh_token": refresh_token,
            "token_type": "bearer",
            "expires_in": ttl,
        }
    scope = _required(form, "scope")
    if scope not in KNOWN_SCOPES:
        raise _Refused(400, "invalid_scope", "An unknown scope was requested")
    token = state.issue_token("grantless", scope=scope)
    return {"access_token": token, "scope": scope, "token_type": "bearer", "expires_in": ttl}
