"""Subscriptions: Amazon's destinations lead to the queue, and (with --config) Amazon holds each subscription
of the desired-state file, pointing at its destination with its payload version and directive; destinations
nothing uses are named.

Read-only: the subscription planner reads (getDestinations, getSubscriptions per seller and type, through the
shared rate budget) and decides; nothing is applied.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.doctor.check import Check, could_not, failed, passed, skipped
from consumer.doctor.config import DoctorConfig
from spapi.apis.notifications import NotificationsApi
from spapi.errors import SpApiError
from spapi.models.notifications_api import Destination
from store.seller_directory import SellerDirectory
from subscriptions.actions import (
    CreateDestination,
    DeleteDestination,
    KeepDestination,
    SubscriptionAction,
    describe_destination,
)
from subscriptions.config import ConfigError
from subscriptions.directives import describe_directive
from subscriptions.failures import ManagerError
from subscriptions.plan import Plan
from subscriptions.planner import Planner, read_destinations


@dataclass
class Destinations:
    """The application's destinations at Amazon (None: they could not be read) and the check saying so."""

    held: list[Destination] | None
    checks: list[Check] = field(default_factory=list)


async def read_application_destinations(api: NotificationsApi) -> Destinations:
    """getDestinations (grantless, through the shared budget)."""
    try:
        held = await read_destinations(api)
    except (ManagerError, SpApiError) as exc:
        return Destinations(None, [could_not("destinations.read", f"getDestinations: {exc}")])
    names = ", ".join(f"{d.name} ({describe_destination(d)})" for d in held) or "none"
    return Destinations(
        held, [passed("destinations.read", f"Amazon holds {len(held)} destination(s): {names}")]
    )


def queue_destination_check(
    held: Sequence[Destination], queue_arn: str, bridged: Mapping[str, Sequence[str]]
) -> Check:
    """Some destination of the application delivers to the daemon's queue: it is the queue, or an EventBridge
    destination whose rule targets it (``bridged``: destination id -> rule ARNs)."""
    name = "destinations.queue"
    direct = [d for d in held if d.resource.sqs is not None and d.resource.sqs.arn == queue_arn]
    through = [d for d in held if bridged.get(d.destination_id)]
    if direct or through:
        how = [f"{d.name} ({d.destination_id}) is the queue" for d in direct]
        how += [f"{d.name} ({d.destination_id}) reaches it through EventBridge" for d in through]
        return passed(name, "; ".join(how))
    return failed(
        name,
        f"none of the application's {len(held)} destination(s) delivers to {queue_arn}: Amazon sends the "
        "notifications elsewhere, or nowhere",
        f'put sqs_arn = "{queue_arn}" in the desired-state file\'s destination, then '
        "`spapi-notify subscriptions apply --config FILE --replace`",
    )


async def subscription_checks(
    config: DoctorConfig,
    api: NotificationsApi,
    directory: SellerDirectory,
    engine: AsyncEngine,
    *,
    queue_arn: str | None,
    sellers: Collection[str] | None,
    held: Sequence[Destination] | None = None,
) -> list[Check]:
    """With --config: each seller's subscriptions against the file; without: one skip saying how. ``held``:
    the application's destinations as the doctor read them (None: the planner reads them)."""
    if config.desired is None:
        return [
            skipped(
                "subscriptions",
                "no desired-state file: give --config FILE to compare Amazon's subscriptions with it "
                "(`spapi-notify subscriptions list --remote` shows what Amazon holds)",
            )
        ]
    path = config.desired_path or "FILE"
    planner = Planner(api, directory, engine, region=config.region)
    try:
        plan = await planner.plan(config.desired, only=sellers, destinations=held)
    except ConfigError as exc:
        return [failed("subscriptions.file", str(exc), f"correct {path}")]
    except (ManagerError, SpApiError) as exc:
        return [could_not("subscriptions", f"Amazon's subscriptions could not be read: {exc}")]
    return [*_destination_checks(plan, path, queue_arn), *_per_seller(plan, path), *_unused(plan)]


def _destination_checks(plan: Plan, path: str, queue_arn: str | None) -> list[Check]:
    checks = []
    for action in plan.destinations:
        if isinstance(action, CreateDestination):
            checks.append(
                failed(
                    "subscriptions.destination",
                    f"{path} lists destination {action.name} ({action.spec.describe()}), which Amazon does "
                    "not "
                    "hold: nothing is delivered there",
                    f"`spapi-notify subscriptions apply --config {path}`",
                    subject=action.name,
                )
            )
        elif isinstance(action, KeepDestination):
            arn = action.spec.sqs_arn
            if arn is not None and queue_arn is not None and arn != queue_arn:
                checks.append(
                    failed(
                        "subscriptions.destination",
                        f"{path}'s destination {action.name} is {arn}, but the daemon reads {queue_arn} "
                        "(SPAPI_NOTIFY_QUEUE_URL): notifications go to a queue nobody consumes",
                        f"make them one queue: correct {path} and `spapi-notify subscriptions apply --config "
                        f"{path} --replace`, or correct SPAPI_NOTIFY_QUEUE_URL",
                        subject=action.name,
                    )
                )
            else:
                checks.append(
                    passed(
                        "subscriptions.destination",
                        f"Amazon holds {action.name} ({action.existing.destination_id}): "
                        f"{action.spec.describe()}",
                        subject=action.name,
                    )
                )
    return checks


def _label(action: SubscriptionAction) -> str:
    directive = action.want.directive if action.want is not None else None
    if directive is None and action.existing is not None:
        directive = action.existing.processing_directive
    text = describe_directive(directive)
    return action.notification_type + (f" [{text}]" if text else "")


def _per_seller(plan: Plan, path: str) -> list[Check]:
    checks = []
    good: dict[str, list[str]] = {}
    for action in sorted(plan.subscriptions, key=lambda a: (a.seller_id, a.notification_type)):
        label = _label(action)
        if action.verb == "keep":
            good.setdefault(action.seller_id, []).append(label)
            continue
        subject = f"{action.seller_id} {label}"
        if action.verb == "create":
            assert action.want is not None
            checks.append(
                failed(
                    "subscriptions.held",
                    f"Amazon holds no such subscription ({path} wants payload version "
                    f"{action.want.payload_version} to {action.want.destination}): nothing of it is sent",
                    f"`spapi-notify subscriptions apply --config {path}`",
                    subject=subject,
                )
            )
        elif action.verb in ("differs", "replace"):
            assert action.existing is not None
            checks.append(
                failed(
                    "subscriptions.held",
                    f"Amazon's subscription {action.existing.subscription_id} differs from {path}: "
                    f"{action.difference}",
                    f"`spapi-notify subscriptions apply --config {path} --replace`",
                    subject=subject,
                )
            )
        else:
            assert action.existing is not None
            checks.append(
                failed(
                    "subscriptions.held",
                    f"Amazon holds subscription {action.existing.subscription_id} (to destination "
                    f"{action.existing.destination_id}), which {path} does not list",
                    f"`spapi-notify subscriptions apply --config {path} --prune` (or add it to {path})",
                    subject=subject,
                )
            )
    for failure in plan.failures:
        about = " ".join(p for p in (failure.seller_id, failure.notification_type) if p) or None
        checks.append(
            failed(
                "subscriptions.held",
                failure.message,
                "see the message, then run the doctor again",
                subject=about,
            )
        )
    checks += [
        passed("subscriptions.held", f"Amazon holds {', '.join(labels)} as {path} says", subject=seller_id)
        for seller_id, labels in good.items()
    ]
    return checks


def _unused(plan: Plan) -> list[Check]:
    used = {a.existing.destination_id for a in plan.subscriptions if a.existing is not None}
    checks = []
    for action in plan.destinations:
        if isinstance(action, DeleteDestination) and action.existing.destination_id not in used:
            existing = action.existing
            checks.append(
                failed(
                    "destinations.unused",
                    f"Amazon holds destination {existing.name} ({existing.destination_id}, "
                    f"{describe_destination(existing)}), which no subscription read here uses and the file "
                    "does "
                    "not list: an old destination a subscription may still be moved back to",
                    f"`spapi-notify subscriptions delete --destination {existing.destination_id}` once "
                    "nothing "
                    "uses it (or `spapi-notify subscriptions apply --config FILE --prune`)",
                    subject=existing.destination_id,
                )
            )
    return checks
