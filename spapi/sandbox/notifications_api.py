"""Notifications API destinations and subscriptions the fake remembers, as Amazon's service does.

``state.notifications`` holds the application's destinations (grantless) and each selling partner's
subscriptions. A partner may hold several subscriptions to one notification type when their processing
directives differ (filter expressions, event filters); a ``createSubscription`` with the directive of one it
already holds answers 409 Conflict, as does a second destination for the same SQS queue or EventBridge account
+ region. ``getSubscriptions`` pages (``pageSize`` 30..100, default 30) with an opaque ``nextToken`` bound to
the caller and its query. An EventBridge destination gets the partner event source name Amazon gives it.

Requests for ids the fake does not hold fall through to the models' static examples, so tests written against
the examples keep working; with ``state.notifications.strict`` they are 404 instead, and a subscription must
name a destination the fake holds.
"""

from __future__ import annotations

import copy
import itertools
import json
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
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


DEFAULT_PAGE_SIZE = 30  # getSubscriptions' pageSize default (the model: 30..100)


def directive_key(directive: Any) -> str:
    """The identity of a processing directive among a partner's subscriptions to one type."""
    return json.dumps(directive, sort_keys=True, separators=(",", ":"))


@dataclass
class StoredSubscription:
    """A subscription the sandbox holds: whose, to which type, and the body Amazon returns for it."""

    subscription_id: str
    selling_partner_id: str
    notification_type: str
    body: dict[str, Any]

    @property
    def directive_key(self) -> str:
        return directive_key(self.body.get("processingDirective"))


class SubscriptionsView(Mapping[tuple[str, str], StoredSubscription]):
    """(selling partner, notification type) -> its subscription, for the common case of one per type.

    A pair with several subscriptions has no single answer: indexing it raises LookupError, naming
    ``NotificationsState.of``, which lists them all.
    """

    def __init__(self, held: Mapping[str, StoredSubscription]) -> None:
        self._held = held

    def _pairs(self) -> dict[tuple[str, str], list[StoredSubscription]]:
        pairs: dict[tuple[str, str], list[StoredSubscription]] = {}
        for stored in self._held.values():
            pairs.setdefault((stored.selling_partner_id, stored.notification_type), []).append(stored)
        return pairs

    def __getitem__(self, key: tuple[str, str]) -> StoredSubscription:
        found = self._pairs().get(key)
        if not found:
            raise KeyError(key)
        if len(found) > 1:
            raise LookupError(
                f"{key[0]} holds {len(found)} {key[1]} subscriptions: use state.notifications.of(...)"
            )
        return found[0]

    def __contains__(self, key: object) -> bool:
        return key in self._pairs()

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._pairs())

    def __len__(self) -> int:
        return len(self._pairs())


@dataclass(frozen=True)
class _PageCursor:
    """Where a getSubscriptions listing continues: whose, which type and version, from which position."""

    selling_partner_id: str
    notification_type: str
    payload_version: str | None
    offset: int
    page_size: int


@dataclass
class NotificationsState:
    """The application's destinations and the partners' subscriptions; every access holds ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    strict: bool = False
    application_id: str = "amzn1.sp.solution.sandbox"
    destinations: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Every subscription by its id, oldest first.
    held: dict[str, StoredSubscription] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1), repr=False)
    # getSubscriptions' nextTokens: where each listing continues.
    page_cursors: dict[str, _PageCursor] = field(default_factory=dict, repr=False)

    def next_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):08d}"

    @property
    def subscriptions(self) -> SubscriptionsView:
        """(selling partner, type) -> subscription, where a partner holds one per type (see ``of``)."""
        return SubscriptionsView(self.held)

    def of(self, selling_partner_id: str, notification_type: str) -> list[StoredSubscription]:
        """Every subscription of the partner to the type, oldest first."""
        return [
            s
            for s in self.held.values()
            if (s.selling_partner_id, s.notification_type) == (selling_partner_id, notification_type)
        ]

    def by_id(self, subscription_id: str) -> StoredSubscription | None:
        return self.held.get(subscription_id)

    def add_destination(
        self, name: str, *, sqs_arn: str | None = None, eventbridge: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        """Hold a destination (an SQS queue, or EventBridge (account id, region)) as if createDestination had
        made it: for tests that set the scene."""
        with self.lock:
            destination_id = self.next_id("destination")
            if sqs_arn is not None:
                resource: dict[str, Any] = {"sqs": {"arn": sqs_arn}}
            else:
                assert eventbridge is not None, "give sqs_arn or eventbridge"
                account, region = eventbridge
                source = f"{EVENT_SOURCE_PREFIX}/{account}/{self.application_id}"
                resource = {"eventBridge": {"name": source, "region": region, "accountId": account}}
            destination = {"name": name, "destinationId": destination_id, "resource": resource}
            self.destinations[destination_id] = destination
        return copy.deepcopy(destination)

    def add_subscription(
        self,
        selling_partner_id: str,
        notification_type: str,
        *,
        payload_version: str,
        destination_id: str,
        processing_directive: Mapping[str, Any] | None = None,
    ) -> StoredSubscription:
        """Hold a subscription as if the partner had created it (no checks): for tests that set the scene."""
        with self.lock:
            subscription_id = self.next_id("subscription")
            body: dict[str, Any] = {
                "subscriptionId": subscription_id,
                "payloadVersion": payload_version,
                "destinationId": destination_id,
            }
            if processing_directive is not None:
                body["processingDirective"] = copy.deepcopy(dict(processing_directive))
            stored = StoredSubscription(subscription_id, selling_partner_id, notification_type, body)
            self.held[subscription_id] = stored
        return stored


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
    """createSubscription for the calling seller; 409 when it holds one to the type with this directive."""
    partner = request.selling_partner_id
    if partner is None:
        return None
    notification_type = request.path_params["notificationType"]
    body = request.json if isinstance(request.json, Mapping) else {}
    directive = body.get("processingDirective")
    if isinstance(directive, Mapping) and directive.get("eventFilter") and directive.get("filterExpression"):
        return SandboxResponse(400, invalid_input("eventFilter and filterExpression are mutually exclusive."))
    key = directive_key(directive if isinstance(directive, Mapping) else None)
    with state.lock:
        destination_id = body.get("destinationId")
        if state.strict and destination_id not in state.destinations:
            return SandboxResponse(400, invalid_input(f"Destination {destination_id} does not exist."))
        if any(s.directive_key == key for s in state.of(partner, notification_type)):
            return _conflict(
                f"A {notification_type} subscription with this processing directive already exists for this "
                "selling partner."
            )
        subscription_id = state.next_id("subscription")
        stored_body: dict[str, Any] = {
            "subscriptionId": subscription_id,
            "payloadVersion": body.get("payloadVersion"),
            "destinationId": destination_id,
        }
        if isinstance(directive, Mapping):
            stored_body["processingDirective"] = copy.deepcopy(dict(directive))
        stored = StoredSubscription(subscription_id, partner, notification_type, stored_body)
        state.held[subscription_id] = stored
    return SandboxResponse(200, _payload(_subscription_body(stored)))


def get_subscription(state: NotificationsState, request: SandboxRequest) -> SandboxResponse | None:
    """getSubscription: the caller's (oldest) subscription to the type (and payloadVersion, if given)."""
    partner = request.selling_partner_id
    if partner is None:
        return None
    notification_type = request.path_params["notificationType"]
    versions = request.query.get("payloadVersion") or []
    wanted_version = versions[0] if versions else None
    with state.lock:
        held = [
            s
            for s in state.of(partner, notification_type)
            if not wanted_version or s.body.get("payloadVersion") == wanted_version
        ]
        strict = state.strict
    if not held:
        return _not_found(f"Subscription to {notification_type}") if strict else None
    return SandboxResponse(200, _payload(_subscription_body(held[0])))


def _first(request: SandboxRequest, name: str) -> str | None:
    values = [v for v in request.query.get(name, []) if v != ""]
    return values[0] if values else None


def get_subscriptions(state: NotificationsState, request: SandboxRequest) -> SandboxResponse | None:
    """getSubscriptions: one page of the caller's subscriptions to the type asked for (the model allows
    one per request), across payload versions unless ``payloadVersion`` is given."""
    partner = request.selling_partner_id
    if partner is None:
        return None
    types = [t for raw in request.query.get("notificationTypes", []) for t in raw.split(",") if t]
    token = _first(request, "nextToken")
    size = _first(request, "pageSize")
    with state.lock:
        if token is not None:
            cursor = state.page_cursors.pop(token, None)
            if cursor is None or cursor.selling_partner_id != partner or [cursor.notification_type] != types:
                return SandboxResponse(400, invalid_input("The nextToken is invalid or has expired."))
            if size is not None:
                cursor = _PageCursor(
                    partner, cursor.notification_type, cursor.payload_version, cursor.offset, int(size)
                )
        else:
            cursor = _PageCursor(
                partner, types[0], _first(request, "payloadVersion"), 0, int(size or DEFAULT_PAGE_SIZE)
            )
        held = [
            s
            for s in state.of(partner, cursor.notification_type)
            if cursor.payload_version is None or s.body.get("payloadVersion") == cursor.payload_version
        ]
        end = cursor.offset + cursor.page_size
        page: dict[str, Any] = {"subscriptions": [_subscription_body(s) for s in held[cursor.offset : end]]}
        if end < len(held):
            next_token = secrets.token_urlsafe(24)
            state.page_cursors[next_token] = _PageCursor(
                partner, cursor.notification_type, cursor.payload_version, end, cursor.page_size
            )
            page["nextToken"] = next_token
    return SandboxResponse(200, _payload(page))


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
        state.held.pop(stored.subscription_id, None)
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
