"""The plan: the difference between the desired state file and what Amazon holds, decided without I/O.

``plan_destinations`` matches the file's destinations with Amazon's; ``plan_type`` decides what to do with
one seller's subscriptions to one type (several when their processing directives differ), pairing each
wanted subscription with the one Amazon holds (``plan_subscription``). Reading Amazon's state is
subscriptions.planner; acting on a plan is subscriptions.apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from spapi.credentials import SellingPartner
from spapi.models.notifications_api import Destination, Subscription
from spapi.regions import Region
from subscriptions.actions import (
    CHANGES,
    CreateDestination,
    CreateSubscription,
    DeleteDestination,
    DeleteSubscription,
    DestinationAction,
    DiffersSubscription,
    ExtraDestination,
    ExtraSubscription,
    KeepDestination,
    KeepSubscription,
    ReplaceSubscription,
    SubscriptionAction,
)
from subscriptions.config import DesiredConfig, DestinationSpec, Want
from subscriptions.directives import directive_key
from subscriptions.failures import Failure
from subscriptions.render import plan_lines


@dataclass
class Plan:
    """Every action for one region, the failures met while reading, and the credentials read."""

    region: Region
    destinations: list[DestinationAction] = field(default_factory=list)
    subscriptions: list[SubscriptionAction] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    partners: dict[str, SellingPartner] = field(default_factory=dict, repr=False)

    def count(self, verb: str) -> int:
        return sum(1 for a in self.subscriptions if a.verb == verb)

    @property
    def has_changes(self) -> bool:
        return any(a.verb in CHANGES for a in self.destinations) or any(
            a.verb in CHANGES for a in self.subscriptions
        )

    def lines(self) -> list[str]:
        return plan_lines(self.destinations, self.subscriptions, self.failures)


def matches(spec: DestinationSpec, destination: Destination) -> bool:
    """Existing destinations are matched by queue ARN, or by EventBridge account and region."""
    resource = destination.resource
    if spec.sqs_arn is not None:
        return resource.sqs is not None and resource.sqs.arn == spec.sqs_arn
    bridge = resource.event_bridge
    return bridge is not None and (bridge.account_id, bridge.region) == (
        spec.eventbridge_account_id,
        spec.eventbridge_region,
    )


def plan_destinations(
    config: DesiredConfig, existing: Sequence[Destination], *, prune: bool
) -> tuple[list[DestinationAction], dict[str, str | None]]:
    """The destination actions, and the destination id of each of the file's names (None: to be created)."""
    actions: list[DestinationAction] = []
    ids: dict[str, str | None] = {}
    claimed: set[str] = set()
    for name, spec in config.destinations.items():
        found = next((d for d in existing if matches(spec, d)), None)
        ids[name] = found.destination_id if found else None
        if found is None:
            actions.append(CreateDestination(name, spec))
        else:
            claimed.add(found.destination_id)
            actions.append(KeepDestination(name, spec, found))
    for destination in existing:
        if destination.destination_id not in claimed:
            actions.append(DeleteDestination(destination) if prune else ExtraDestination(destination))
    return actions, ids


def difference(want: Want, existing: Subscription, destination_id: str | None) -> str:
    """Why the existing subscription is not the wanted one ('' when it is)."""
    reasons = []
    if existing.destination_id != destination_id:
        reasons.append(f"destination {existing.destination_id} -> {want.destination}")
    if existing.payload_version != want.payload_version:
        reasons.append(f"payloadVersion {existing.payload_version} -> {want.payload_version}")
    if directive_key(existing.processing_directive) != want.directive_key:
        reasons.append("processingDirective differs")
    return ", ".join(reasons)


def plan_subscription(
    *,
    seller_id: str,
    notification_type: str,
    want: Want | None,
    current: Subscription | None,
    destination_ids: dict[str, str | None],
    replace: bool,
    prune: bool,
) -> SubscriptionAction | None:
    """What to do with one (seller, type): None when neither the file nor Amazon has a subscription."""
    if want is None:
        if current is None:
            return None
        unwanted = DeleteSubscription if prune else ExtraSubscription
        return unwanted(seller_id, notification_type, current)
    if current is None:
        return CreateSubscription(seller_id, notification_type, want)
    why = difference(want, current, destination_ids[want.destination])
    if not why:
        return KeepSubscription(seller_id, notification_type, want, current)
    differing = ReplaceSubscription if replace else DiffersSubscription
    return differing(seller_id, notification_type, want, current, why)


def plan_type(
    *,
    seller_id: str,
    notification_type: str,
    wants: Sequence[Want],
    current: Sequence[Subscription],
    destination_ids: dict[str, str | None],
    replace: bool,
    prune: bool,
) -> list[SubscriptionAction]:
    """What to do with one seller's subscriptions to one type.

    A wanted subscription and one Amazon holds are the same when their processing directives are (seller +
    type + directive identify a subscription); then only destination and payload version can differ. What is
    left unmatched pairs up when exactly one is left on each side: the file changed the directive of the one
    subscription, which then differs (replaced with --replace) rather than being created beside the old one,
    which would deliver each notification twice. Otherwise unmatched wants are created and unmatched
    subscriptions are extra (deleted with --prune).
    """

    def decide(want: Want | None, existing: Subscription | None) -> SubscriptionAction | None:
        return plan_subscription(
            seller_id=seller_id,
            notification_type=notification_type,
            want=want,
            current=existing,
            destination_ids=destination_ids,
            replace=replace,
            prune=prune,
        )

    decided: list[SubscriptionAction | None] = []
    left = list(current)
    unmatched: list[Want] = []
    for want in wants:
        same = next((s for s in left if directive_key(s.processing_directive) == want.directive_key), None)
        if same is None:
            unmatched.append(want)
            continue
        left.remove(same)
        decided.append(decide(want, same))
    if len(unmatched) == 1 and len(left) == 1:
        decided.append(decide(unmatched[0], left[0]))
    else:
        decided += [decide(want, None) for want in unmatched]
        decided += [decide(None, existing) for existing in left]
    return [action for action in decided if action is not None]
