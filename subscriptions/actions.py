"""What a plan does, one small class per kind of action: for destinations and for subscriptions.

Every action has a ``verb`` (what ``plan`` prints and counts) and, for subscriptions, the seller and type.
``CHANGES`` are the verbs apply acts on at Amazon; the others only report (``differs``: apply --replace would
replace it; ``extra``: apply --prune would delete it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from spapi.models.notifications_api import Destination, Subscription
from subscriptions.config import DestinationSpec, Want

CHANGES: frozenset[str] = frozenset({"create", "replace", "delete"})


def describe_destination(destination: Destination) -> str:
    """``sqs ARN`` or ``eventbridge account ID region REGION``."""
    resource = destination.resource
    if resource.sqs is not None:
        return f"sqs {resource.sqs.arn}"
    if resource.event_bridge is not None:
        bridge = resource.event_bridge
        return f"eventbridge account {bridge.account_id} region {bridge.region}"
    return "unknown resource"


# -- destinations -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateDestination:
    """A destination of the file that Amazon does not hold yet."""

    verb: ClassVar[str] = "create"
    name: str
    spec: DestinationSpec
    existing: None = None

    def describe(self) -> str:
        return f"{self.name}: {self.spec.describe()}"


@dataclass(frozen=True)
class KeepDestination:
    """A destination of the file that Amazon holds (matched by its queue, or EventBridge account + region)."""

    verb: ClassVar[str] = "keep"
    name: str
    spec: DestinationSpec
    existing: Destination

    def describe(self) -> str:
        return f"{self.name} ({self.existing.destination_id}): {self.spec.describe()}"


@dataclass(frozen=True)
class DeleteDestination:
    """A destination Amazon holds that the file does not list (apply --prune)."""

    verb: ClassVar[str] = "delete"
    existing: Destination
    name: None = None

    def describe(self) -> str:
        return f"{self.existing.name} ({self.existing.destination_id}): {describe_destination(self.existing)}"


@dataclass(frozen=True)
class ExtraDestination(DeleteDestination):
    """A destination Amazon holds that the file does not list, left alone (no --prune)."""

    verb: ClassVar[str] = "extra"


DestinationAction = CreateDestination | KeepDestination | DeleteDestination | ExtraDestination


# -- subscriptions ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateSubscription:
    """A subscription the file wants and Amazon does not hold."""

    verb: ClassVar[str] = "create"
    seller_id: str
    notification_type: str
    want: Want
    existing: None = None
    difference: str = ""


@dataclass(frozen=True)
class KeepSubscription:
    """A subscription Amazon holds just as the file wants it (recorded as adopted)."""

    verb: ClassVar[str] = "keep"
    seller_id: str
    notification_type: str
    want: Want
    existing: Subscription
    difference: str = ""


@dataclass(frozen=True)
class ReplaceSubscription:
    """A subscription that differs from the file's (destination, payload version, or the directive of a type's
    only subscription): replaced with apply --replace (deleted then created, or for a new directive created
    then deleted, see subscriptions.apply)."""

    verb: ClassVar[str] = "replace"
    seller_id: str
    notification_type: str
    want: Want
    existing: Subscription
    difference: str


@dataclass(frozen=True)
class DiffersSubscription(ReplaceSubscription):
    """A subscription that differs from the file's, left alone (no --replace)."""

    verb: ClassVar[str] = "differs"


@dataclass(frozen=True)
class DeleteSubscription:
    """A subscription Amazon holds that the file does not want (apply --prune)."""

    verb: ClassVar[str] = "delete"
    seller_id: str
    notification_type: str
    existing: Subscription
    want: None = None
    difference: str = ""


@dataclass(frozen=True)
class ExtraSubscription(DeleteSubscription):
    """A subscription Amazon holds that the file does not want, left alone (no --prune)."""

    verb: ClassVar[str] = "extra"


SubscriptionAction = (
    CreateSubscription
    | KeepSubscription
    | ReplaceSubscription
    | DiffersSubscription
    | DeleteSubscription
    | ExtraSubscription
)
