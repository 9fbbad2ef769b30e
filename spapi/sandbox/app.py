"""The ASGI application: LWA, presigned document downloads, and every SP-API operation of the models."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from spapi.model_catalog import OperationSpec
from spapi.sandbox.behaviours import BEHAVIOURS
from spapi.sandbox.documents import DOCUMENTS_PATH
from spapi.sandbox.downloads import document_endpoint
from spapi.sandbox.errors import (
    APPLICATION_QUOTA_MESSAGE,
    QUOTA_EXCEEDED_MESSAGE,
    UNAUTHORIZED_MESSAGE,
    default_spapi_error,
    spapi_error,
)
from spapi.sandbox.examples import examples_for
from spapi.sandbox.gateway import Admission, admit
from spapi.sandbox.lwa import LWA_PATH, token_endpoint
from spapi.sandbox.responders import Endpoint, SandboxRequest, SandboxResponse
from spapi.sandbox.routing import Router, default_router
from spapi.sandbox.state import RecordedRequest, SandboxState
from spapi.sandbox.transport import DroppedResponse, remember_transport
from spapi.sandbox.validation import validate

log = logging.getLogger("spapi.sandbox")

_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_JSON = "application/json"


def create_app(state: SandboxState, router: Router | None = None) -> ASGIApp:
    """The sandbox's ASGI app over ``state``: LWA, document downloads, and SP-API routed by ``router``."""
    routes = [
        Route(LWA_PATH, token_endpoint(state), methods=["POST"]),
        Route(DOCUMENTS_PATH + "/{document_id:path}", document_endpoint(state), methods=["GET"]),
        Route("/{path:path}", _spapi_endpoint(state, router or default_router()), methods=_METHODS),
    ]
    return remember_transport(Starlette(routes=routes))


class _Incoming:
    """The parts of an HTTP request the SP-API side needs, read once from the ASGI scope."""

    def __init__(self, request: Request, body: bytes) -> None:
        scope = request.scope
        self.method: str = scope["method"]
        raw_path = scope.get("raw_path")
        # raw_path keeps %2F inside a segment; scope["path"] has already decoded it.
        self.raw_path = raw_path.decode("latin-1") if raw_path else scope["path"]
        self.query_string = scope.get("query_string", b"").decode("latin-1")
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key, text = name.decode("latin-1").lower(), value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        self.headers = headers
        server = scope.get("server") or ("127.0.0.1", 80)
        self.base_url = f"{scope.get('scheme', 'http')}://{headers.get('host', f'{server[0]}:{server[1]}')}"
        self.url = self.base_url + self.raw_path + (f"?{self.query_string}" if self.query_string else "")
        self.query: dict[str, list[str]] = parse_qs(self.query_string, keep_blank_values=True)
        self.body = body
        self.request_id = str(uuid.uuid4())
        self.segments = [unquote(s) for s in self.raw_path.removeprefix("/").split("/")]

    def record(
        self,
        state: SandboxState,
        spec: OperationSpec | None,
        status: int | None,
        admission: Admission | None = None,
        path_params: Mapping[str, str] | None = None,
    ) -> None:
        auth = admission.auth if admission is not None else None
        state.record(
            RecordedRequest(
                op_key=spec.key if spec is not None else None,
                method=self.method,
                url=self.url,
                path=self.raw_path,
                query=self.query,
                headers=self.headers,
                body=self.body,
                status=status,
                token_kind=auth.token_kind if auth is not None else None,
                selling_partner_id=auth.selling_partner_id if auth is not None else None,
                path_params=dict(path_params or {}),
                request_id=self.request_id,
            )
        )


def _json_response(status: int, body: Any, headers: Mapping[str, str]) -> Response:
    if body is None or status == 204:
        return Response(b"", status_code=status, headers=dict(headers))
    content = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
    return Response(content, status_code=status, headers={"content-type": _JSON, **headers})


def _spapi_endpoint(state: SandboxState, router: Router) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        incoming = _Incoming(request, await request.body())
        match = router.match(incoming.method, incoming.raw_path)
        if match is None:
            incoming.record(state, None, 404)
            return _json_response(
                404,
                spapi_error(
                    "NotFound",
                    "The requested resource was not found.",
                    f"No operation matches {incoming.method} {incoming.raw_path}",
                ),
                {"x-amzn-RequestId": incoming.request_id},
            )
        spec = match.operation
        admission = admit(
            state, spec, incoming.headers.get("x-amz-access-token"), incoming.method, incoming.segments
        )
        headers = {"x-amzn-RequestId": incoming.request_id}
        if admission.rate_limit is not None:
            headers["x-amzn-RateLimit-Limit"] = admission.rate_limit
        if admission.outcome == "drop":
            incoming.record(state, spec, None, admission, match.path_params)
            if admission.delay:
                await asyncio.sleep(admission.delay)
            return DroppedResponse()
        response = _decide(
            state,
            spec=spec,
            incoming=incoming,
            admission=admission,
            path_params=match.path_params,
            headers=headers,
        )
        incoming.record(state, spec, response.status_code, admission, match.path_params)
        if admission.delay:
            await asyncio.sleep(admission.delay)
        return response

    return endpoint


def _refusal(admission: Admission, headers: dict[str, str]) -> Response | None:
    """The gateway's answer when the operation does not run (injected fault, bad token, throttled)."""
    if admission.outcome == "fault":
        fault = admission.fault
        assert fault is not None
        body = fault.body if fault.body is not None else default_spapi_error(fault.status)
        return _json_response(fault.status, body, {**headers, **fault.headers})
    if admission.outcome == "denied":
        body = spapi_error("Unauthorized", UNAUTHORIZED_MESSAGE, admission.auth.details)
        return _json_response(403, body, headers)
    if admission.outcome == "throttled":
        message = (
            APPLICATION_QUOTA_MESSAGE if admission.throttled_by == "application" else QUOTA_EXCEEDED_MESSAGE
        )
        return _json_response(429, spapi_error("QuotaExceeded", message), headers)
    return None


def _decide(
    state: SandboxState,
    *,
    spec: OperationSpec,
    incoming: _Incoming,
    admission: Admission,
    path_params: Mapping[str, str],
    headers: dict[str, str],
) -> Response:
    refusal = _refusal(admission, headers)
    if refusal is not None:
        return refusal
    validated = validate(spec.key, path_params, incoming.query, incoming.headers, incoming.body)
    if validated.error is not None:
        return _json_response(validated.status, validated.error, headers)
    sandbox_request = SandboxRequest(
        op_key=spec.key,
        method=incoming.method,
        path=incoming.raw_path,
        path_params=path_params,
        query=incoming.query,
        headers=incoming.headers,
        body=incoming.body,
        json=validated.json if validated.json is not None else _lenient_json(incoming.body),
        selling_partner_id=admission.auth.selling_partner_id,
        token_kind=admission.auth.token_kind,
        base_url=incoming.base_url,
        data_elements=admission.auth.data_elements,
    )
    try:
        answer = _answer(state, sandbox_request)
    except Exception as exc:
        # A broken test responder should fail that test visibly, not hang it: answer like Amazon's 500.
        log.exception("sandbox responder for %s raised", spec.key)
        details = f"sandbox responder raised {type(exc).__name__}: {exc}"
        body = spapi_error("InternalFailure", "We encountered an internal error.", details)
        return _json_response(500, body, headers)
    if answer is not None:
        return _json_response(answer.status, answer.body, {**headers, **answer.headers})
    rendered = examples_for(spec.key).render(sandbox_request)
    return _json_response(rendered.status, rendered.content or None, headers)


def _lenient_json(body: bytes) -> Any:
    """A body sent to an operation the model gives none: parsed if it can be, for responders to look at."""
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _answer(state: SandboxState, request: SandboxRequest) -> SandboxResponse | None:
    for responder in state.responders_for(request.op_key):
        answer = responder(request)
        if answer is not None:
            return answer
    behaviour = BEHAVIOURS.get(request.op_key)
    return behaviour(state, request) if behaviour is not None else None
