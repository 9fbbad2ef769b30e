"""Operations the fake answers from its own state instead of the models' examples.

Each behaviour has a responder's shape plus the state, and returns None to fall through to the examples.
The Notifications API's destinations and subscriptions live in spapi.sandbox.notifications_api and are
routed from here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from spapi.model_catalog import load_api_model
from spapi.sandbox import catalog
from spapi.sandbox.documents import Grant, new_signature, presigned_url
from spapi.sandbox.errors import invalid_input
from spapi.sandbox.notifications_api import NOTIFICATION_BEHAVIOURS, NotificationsBehaviour
from spapi.sandbox.order_search import SEARCH_ORDERS, search_orders
from spapi.sandbox.responders import SandboxRequest, SandboxResponse
from spapi.sandbox.state import SandboxState, expires_in
from spapi.sandbox.tokens import RestrictedResource

Behaviour = Callable[[SandboxState, SandboxRequest], SandboxResponse | None]


def _on_notifications(behaviour: NotificationsBehaviour) -> Behaviour:
    """A Notifications API behaviour, which sees only its own part of the state."""

    def answer(state: SandboxState, request: SandboxRequest) -> SandboxResponse | None:
        return behaviour(state.notifications, request)

    return answer


CREATE_RDT = "tokens_2021-03-01.createRestrictedDataToken"
GET_REPORT = "reports_2021-06-30.getReport"
GET_REPORT_DOCUMENT = "reports_2021-06-30.getReportDocument"
GET_FEED = "feeds_2021-06-30.getFeed"
GET_FEED_DOCUMENT = "feeds_2021-06-30.getFeedDocument"


@cache
def _rdt_methods() -> frozenset[str]:
    definition = load_api_model("tokens_2021-03-01")["definitions"]["RestrictedResource"]
    return frozenset(definition["properties"]["method"]["enum"])


class _Invalid(ValueError):
    pass


def _restricted_resources(body: Any) -> list[RestrictedResource]:
    """The body's resources, checked against the Tokens API model; raises _Invalid saying what is wrong."""
    if not isinstance(body, Mapping):
        raise _Invalid("The request body must be a JSON object.")
    resources = body.get("restrictedResources")
    if resources is None:
        raise _Invalid("Missing required parameter: restrictedResources")
    if not isinstance(resources, list) or not resources:
        raise _Invalid("restrictedResources must be a non-empty array.")
    if not isinstance(body.get("targetApplication", ""), str):
        raise _Invalid("targetApplication must be a string.")
    return [_restricted_resource(f"restrictedResources[{i}]", item) for i, item in enumerate(resources)]


def _restricted_resource(where: str, item: Any) -> RestrictedResource:
    if not isinstance(item, Mapping):
        raise _Invalid(f"{where} must be an object.")
    method, path, elements = item.get("method"), item.get("path"), item.get("dataElements", [])
    if method not in _rdt_methods():
        raise _Invalid(f"{where}.method must be one of {', '.join(sorted(_rdt_methods()))}, got {method!r}.")
    if not isinstance(path, str) or not path.startswith("/"):
        raise _Invalid(f"{where}.path must be a string starting with '/', got {path!r}.")
    if not isinstance(elements, list) or not all(isinstance(e, str) for e in elements):
        raise _Invalid(f"{where}.dataElements must be an array of strings.")
    return RestrictedResource(method, path, tuple(elements))


def create_restricted_data_token(state: SandboxState, request: SandboxRequest) -> SandboxResponse | None:
    """createRestrictedDataToken: an RDT for the restrictedResources asked for (400 if malformed)."""
    try:
        resources = _restricted_resources(request.json)
    except _Invalid as invalid:
        return SandboxResponse(400, invalid_input("Invalid Input", str(invalid)))
    token = state.issue_token("rdt", selling_partner_id=request.selling_partner_id, resources=resources)
    return SandboxResponse(200, {"restrictedDataToken": token, "expiresIn": expires_in(state.token_ttl)})


def get_report_document(state: SandboxState, request: SandboxRequest) -> SandboxResponse | None:
    """getReportDocument: a presigned URL for a document the sandbox holds; None for any other id."""
    return _document(state, request, request.path_params["reportDocumentId"], "reportDocumentId")


def get_feed_document(state: SandboxState, request: SandboxRequest) -> SandboxResponse | None:
    """getFeedDocument: a presigned URL for a document the sandbox holds (a feed's processing report)."""
    return _document(state, request, request.path_params["feedDocumentId"], "feedDocumentId")


def get_feed(state: SandboxState, request: SandboxRequest) -> SandboxResponse | None:
    """getFeed: a feed the sandbox holds; None for any other id."""
    with state.lock:
        feed = state.feeds.get(request.path_params["feedId"])
    return None if feed is None else SandboxResponse(200, feed)


def _document(
    state: SandboxState, request: SandboxRequest, document_id: str, id_key: str
) -> SandboxResponse | None:
    signature = new_signature()
    with state.lock:
        document = state.documents.get(document_id)
        if document is None:
            return None
        ttl = state.document_url_ttl
        now = state.clock()
        if len(state.grants) > 1000:
            # A long demo run would otherwise keep every URL it ever handed out.
            for old in [s for s, g in state.grants.items() if g.expires_at <= now]:
                del state.grants[old]
        state.grants[signature] = Grant(document_id, now + ttl)
    body: dict[str, Any] = {
        id_key: document_id,
        "url": presigned_url(request.base_url, document_id, signature, ttl),
    }
    if document.compression:
        body["compressionAlgorithm"] = document.compression
    return SandboxResponse(200, body)


def get_report(state: SandboxState, request: SandboxRequest) -> SandboxResponse | None:
    """getReport: a report the sandbox holds; None for any other id."""
    with state.lock:
        report = state.reports.get(request.path_params["reportId"])
    return None if report is None else SandboxResponse(200, report)


BEHAVIOURS: Mapping[str, Behaviour] = {
    CREATE_RDT: create_restricted_data_token,
    GET_REPORT_DOCUMENT: get_report_document,
    GET_REPORT: get_report,
    GET_FEED: get_feed,
    GET_FEED_DOCUMENT: get_feed_document,
    catalog.GET_ORDER: catalog.get_order,
    SEARCH_ORDERS: search_orders,
    catalog.GET_LISTINGS_ITEM: catalog.get_listings_item,
    **{key: _on_notifications(behaviour) for key, behaviour in NOTIFICATION_BEHAVIOURS.items()},
}
