"""Notifications API destinations and subscriptions the fake remembers, as Amazon's service does.

``state.notifications`` holds the application's destinations (grantless) and each selling partner's
subscriptions: at most one per (selling partner, notification type), a second ``createSubscription`` answers
409 Conflict, as does a second destination for the same SQS queue or EventBridge account + region. An
EventBridge destination gets the partner event source name Amazon gives it.

Requests for ids the fake does not hold fall through to the models' static examples, so tests written against
the examples keep working; with ``state.notifications.strict`` they are 404 instead, and a subscription must
name a destination the fake holds.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from spapi.sandbox.errors import invalid_input, spapi_error
from spapi.sandbox.responders import SandboxRequest, SandboxResponse

GET_DESTINATIONS = "notifications.getDestinations"
CREATE_DESTINATION = "notifications.createDestination"
GET_DESTINATION = "notifications.getDestination"
DELETE_DESTINATION = "notifications.deleteDestination"
GET_SUBSCRIPTIONS = "notifications.getSubscriptions"
GET_SUBSCRIPTION = "notifications.getSubscription"
CREATE_SUBSCRIPTION = "notifications.createSubscription"
GET_SUBSCRIPTION_BY_ID = "notifications.getSubscriptionById"
DELETE_SUBSCRIPTION_BY_ID = "notifications.deleteSubscriptionById"

# Amazon names an EventBridge destination's partner event source after the account and the application.
EVENT_SOURCE_PREFIX = "aws.partner/sellingpartnerapi.amazon.com"


@dataclass
class StoredSubscription:
    """A subscription the sandbox holds: whose, to which type, and the body Amazon returns for it."""

    subscription_id: str
    selling_partner_id: str
    notification_type: str
    body: dict[str, Any]


@dataclass
class NotificationsState:
    """The application's destinations and the partners' subscriptions; every access holds ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    strict: bool = False
    application_id: str = "amzn1.sp.solution.sandbox"
    destinations: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (selling partner id, notification type) -> subscription.
    subscriptions: dict[tuple[str, str], StoredSubscription] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def next_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):08d}"

    def by_id(self, subscription_id: str) -> StoredSubscription | None:
        for stored in self.subscriptions.values():
            if stored.subscription_id == subscription_id:
                return stored
        return None


def _payload(body: Any) -> dict[str, Any]:
    return {"payload": body}


def _not_found(what: str) -> SandboxResponse:
    return SandboxResponse(404, spapi_error("NotFound", f"{what} was not found."))


def _conflict(message: str) -> SandboxResponse:
    return SandboxResponse(409, spapi_error("Conflict", message))


def _same_resource(resource: Mapping[str, Any], spec: Mapping[str, Any]) -> bool:
    if "sqs" in spec:
        return bool(resource.get("sqs")) and resource["sqs"].get("arn") == spec["sqs"].get("arn")
    bridge, wanted = resource.get("eventBridge") or {}, spec.get("eventBridge") or {}
    return bool(bridge) and (bridge.get("accountId"), bridge.get("region")) == (
        wanted.get("accountId"),
        wanted.get("region"),
    )


def get_destinations(state: NotificationsState, request: SandboxRequest) -> SandboxResponse | None:
    """getDestinations: every destination the sandbox holds."""
    with state.lock:
        destinations = [copy.deepcopy(d) for d in state.destinations.values()]
    return SandboxResponse(200, _payload(destinations))


def create_destination(state: NotificationsState, request: SandboxRequest) -> SandboxResponse | None:
    """createDestination: 400 unless exactly one resource is given, 409 when it has a destination."""
    body = request.json if isinstance(request.json, Mapping) else {}
    name = body.get("name")
    spec = body.get("resourceSpecification")
    if not isinstance(name, str) or not isinstance(spec, Mapping):
        return SandboxResponse(400, invalid_input("name and resourceSpecification are required."))
    if bool(spec.get("sqs")) == bool(spec.get("eventBridge")):
        return SandboxResponse(
            400, invalid_input("resourceSpecification needs exactly one of sqs and eventBridge.")
        )
    with state.lock:
        for existing in state.destinations.values():
            if _same_resource(existing["resource"], spec):
                return _conflict("A destination for this resource already exists.")
        destination_id = state.next_id("destination")
        if spec.get("sqs"):
            resource: dict[str, Any] = {"sqs": {"arn": spec["sqs"].get("arn")}}
        else:
            bridge = spec["eventBridge"]
            account = bridge.get("accountId")
            resource = {
                "eventBridge": {
                    "name": f"{EVENT_SOURCE_PREFIX}/{account}/{state.application_id}",
                    "region": bridge.get("region"),
                    "accountId": account,
                }
            }
        destination = {"name": name, "destinationId": destination_id, "resource": resource}
        state.destinations[destination_id] = destination
    return SandboxResponse(200, _payload(copy.deepcopy(destination)))


def get_destination(state: NotificationsState, request: SandboxRequest) -> SandboxResponse | None:
    """getDestination: a destination the sandbox holds; an unknown id is 404 when strict."""
    destination_id = request.path_params["destinationId"]
    with state.lock:
        found = state.destinations.get(destination_id)
        strict = state.strict
    if found is None:
        return _not_found(f"Destination {destination_id}") if strict else None
    return SandboxResponse(200, _payload(copy.deepcopy(found)))


def delete_destination(state: NotificationsState, request: SandboxRequest) -> SandboxResponse | None:
    """deleteDestination: forget a destination; an unknown id is 404 when strict."""
    destination_id = request.path_params["destinationId"]
    with state.lock:
        found = state.destinations.pop(destination_id, None)
        strict = state.strict
    if found is None:
        return _not_found(f"Destination {destination_id}") if strict else None
    return SandboxResponse(200, {})


def _subscription_body(stored: StoredSubscription) -> dict[str, Any]:
    return copy.deepcopy(stored.body)


def create_subscription(state: NotificationsState, request: SandboxRequest) -> SandboxResponse | None:
    """createSubscription for the calling seller; 409 when it already has one to the type."""
    partner = request.selling_partner_id
    if partner is None:
        return None
    notification_type = request.path_params["notificationType"]
    body = request.json if isinstance(request.json, Mapping) else {}
    directive = body.get("processingDirective")
    if isinstance(directive, Mapping) and directive.get("eventFilter") and directive.get("filterExpression"):
        return SandboxResponse(400, invalid_input("eventFilter and filterExpression are mutually exclusive."))
    with state.lock:
        destination_id = body.get("destinationId")
        if state.strict and destination_id not in state.destinations:
            return SandboxResponse(400, invalid_input(f"Destination {destination_id} does not exist."))
        if (partner, notification_type) in state.subscriptions:
            return _conflict(f"A {notification_type} subscription already exists for this selling partner.")
        subscription_id = state.next_id("subscription")
        stored_body: dict[str, Any] = {
            "subscriptionId": subscription_id,
            "payloadVersion": body.get("payloadVersion"),
            "destinationId": destination_id,
        }
        if isinstance(directive, Mapping):
            stored_body["processingDirective"] = copy.deepcopy(dict(directive))
        stored = StoredSubscription(subscription_id, partner, notification_type, stored_body)
        state.subscriptions[(partner, notification_type)] = stored
    return SandboxResponse(200, _payload(_subscription_body(stored)))


def get_subscription(state: NotificationsState, request: SandboxRequest) -> SandboxResponse | None:
    """getSubscription: the caller's subscription to the type (and payloadVersion, if given)."""
    partner = request.selling_partner_id
    if partner is None:
        return None
    notification_type = request.path_params["notificationType"]
    versions = request.query.get("payloadVersion") or []
    wanted_version = versions[0] if versions else None
    with state.lock:
        stored = state.subscriptions.get((partner, notification_type))
        strict = state.strict
    if stored is not None and wanted_version and stored.body.get("payloadVersion") != wanted_version:
        stored = None
    if stored is None:
        return _not_found(f"Subscription to {notification_type}") if strict else None
    return SandboxResponse(200, _payload(_subscription_body(stored)))


def get_subscriptions(state: NotificationsState, request: SandboxRequest) -> SandboxResponse | None:
    """getSubscriptions: the caller's subscriptions to the types asked for (all when none are)."""
    partner = request.selling_partner_id
    if partner is None:
        return None
    wanted = {t for raw in request.query.get("notificationTypes", []) for t in raw.split(",") if t}
    with state.lock:
        found = [
            _subscription_body(s)
            for (owner, kind), s in sorted(state.subscriptions.items())
            if owner == partner and (not wanted or kind in wanted)
        ]
    return SandboxResponse(200, _payload({"subscriptions": found}))


def _owned(state: NotificationsState, request: SandboxRequest) -> tuple[StoredSubscription | None, bool]:
    """The subscription the by-id path names, if the caller may see it (a seller only its own)."""
    subscription_id = request.path_params["subscriptionId"]
    notification_type = request.path_params["notificationType"]
    with state.lock:
        stored = state.by_id(subscription_id)
        strict = state.strict
    caller = request.selling_partner_id
    if stored is not None and (
        stored.notification_type != notification_type
        or (caller is not None and stored.selling_partner_id != caller)
    ):
        stored = None
    return stored, strict


def get_subscription_by_id(state: NotificationsState, request: SandboxRequest) -> SandboxResponse | None:
    """getSubscriptionById: a subscription the caller may see (a seller only its own)."""
    stored, strict = _owned(state, request)
    if stored is None:
        return _not_found(f"Subscription {request.path_params['subscriptionId']}") if strict else None
    return SandboxResponse(200, _payload(_subscription_body(stored)))


def delete_subscription_by_id(state: NotificationsState, request: SandboxRequest) -> SandboxResponse | None:
    """deleteSubscriptionById: forget a subscription the caller may see."""
    stored, strict = _owned(state, request)
    if stored is None:
        return _not_found(f"Subscription {request.path_params['subscriptionId']}") if strict else None
    with state.lock:
        state.subscriptions.pop((stored.selling_partner_id, stored.notification_type), None)
    return SandboxResponse(200, {})


NotificationsBehaviour = Callable[[NotificationsState, SandboxRequest], SandboxResponse | None]

NOTIFICATION_BEHAVIOURS: Mapping[str, NotificationsBehaviour] = {
    GET_DESTINATIONS: get_destinations,
    CREATE_DESTINATION: create_destination,
    GET_DESTINATION: get_destination,
    DELETE_DESTINATION: delete_destination,
    GET_SUBSCRIPTIONS: get_subscriptions,
    GET_SUBSCRIPTION: get_subscription,
    CREATE_SUBSCRIPTION: create_subscription,
    GET_SUBSCRIPTION_BY_ID: get_subscription_by_id,
    DELETE_SUBSCRIPTION_BY_ID: delete_subscription_by_id,
}
