"""Acting on a plan: create what is missing, replace or delete what differs, record what was done.

Destinations first (a subscription names one), then each seller's subscriptions (sellers concurrently,
bounded; a seller's calls one after another), then destinations to delete. A 409 Conflict is resolved by
looking the resource up and adopting it. What was made or adopted is recorded in the database in batches.

A replacement whose processing directive changes creates the new subscription first and deletes the old one
after (Amazon holds both for a moment: no notification falls between them); one with the same directive must
delete first, since Amazon refuses a second subscription with the directive of one it holds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from spapi.apis.notifications import MAX_PAGE_SIZE
from spapi.client import SpApiClient
from spapi.credentials import GRANTLESS, SellingPartner
from spapi.errors import Conflict, NotFound, SpApiError, Unauthorized
from spapi.models.notifications_api import Destination, Subscription
from spapi.regions import Region
from store import subscription_records as records
from store.seller_directory import UnknownSeller
from subscriptions.actions import (
    CreateDestination,
    CreateSubscription,
    DeleteDestination,
    DeleteSubscription,
    KeepDestination,
    KeepSubscription,
    ReplaceSubscription,
    SubscriptionAction,
    describe_destination,
)
from subscriptions.directives import describe_directive, directive_key
from subscriptions.failures import Failure, explain
from subscriptions.plan import Plan, difference, matches
from subscriptions.planner import read_destinations
from subscriptions.render import apply_lines

_BATCH = 200


@dataclass
class ApplyResult:
    """What apply did, what failed, and what the operator does next (EventBridge associations)."""

    plan: Plan
    done: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return apply_lines(self.done, self.failures, self.next_steps)


async def delete_subscription(
    client: SpApiClient, partner: SellingPartner | None, notification_type: str, subscription_id: str
) -> None:
    """Delete by id with the seller's token, as Amazon's docs now say, falling back to the grantless token
    the model names; a subscription already gone counts as deleted."""
    api = client.notifications
    try:
        if partner is not None:
            try:
                await api.delete_subscription_by_id(notification_type, subscription_id, principal=partner)
                return
            except Unauthorized:
                pass
        await api.delete_subscription_by_id(notification_type, subscription_id, principal=GRANTLESS)
    except NotFound:
        return


class Applier:
    """Carries out one plan (see the module docstring)."""

    def __init__(
        self, client: SpApiClient, engine: AsyncEngine, *, region: Region, concurrency: int = 16
    ) -> None:
        self._client = client
        self._api = client.notifications
        self._engine = engine
        self._region = region
        self._concurrency = concurrency
        self._pending: list[records.SubscriptionRow] = []
        self._flushing = asyncio.Lock()

    async def apply(self, plan: Plan, *, replace: bool) -> ApplyResult:
        result = ApplyResult(plan=plan, failures=list(plan.failures))
        destination_ids: dict[str, str] = {}
        for action in plan.destinations:
            if isinstance(action, CreateDestination | KeepDestination):
                made = await self._ensure_destination(action, result)
                if made is not None:
                    destination_ids[action.name] = made.destination_id

        by_seller: dict[str, list[SubscriptionAction]] = {}
        for sub in plan.subscriptions:
            by_seller.setdefault(sub.seller_id, []).append(sub)
        limit = asyncio.Semaphore(self._concurrency)

        async def work(actions: list[SubscriptionAction]) -> None:
            async with limit:
                for action in actions:
                    await self._apply_subscription(plan, action, destination_ids, result, replace=replace)
                await self._flush(at_least=_BATCH)

        try:
            await asyncio.gather(*(work(a) for a in by_seller.values()))
        finally:
            await self._flush()

        for action in plan.destinations:
            if type(action) is DeleteDestination:
                await self._delete_destination(action.existing, result)
        return result

    async def _ensure_destination(
        self, action: CreateDestination | KeepDestination, result: ApplyResult
    ) -> Destination | None:
        spec = action.spec
        destination = action.existing
        origin: records.Origin = "adopted"
        if destination is None:
            try:
                destination = (
                    await self._api.create_destination(
                        action.name,
                        sqs_arn=spec.sqs_arn,
                        event_bridge_account_id=spec.eventbridge_account_id,
                        event_bridge_region=spec.eventbridge_region,
                    )
                ).data
                origin = "created"
                result.done.append(f"+ created destination {action.name} ({destination.destination_id})")
            except Conflict:
                # It exists after all (created meanwhile, or getDestinations lagged): look it up.
                destination = next((d for d in await read_destinations(self._api) if matches(spec, d)), None)
                if destination is None:
                    result.failures.append(
                        Failure(None, None, f"destination {action.name}: 409 Conflict, but no match found")
                    )
                    return None
                result.done.append(f"= adopted destination {action.name} ({destination.destination_id})")
            except SpApiError as exc:
                result.failures.append(Failure(None, None, f"destination {action.name}: {explain(exc)}"))
                return None
        await records.record_destination(self._engine, destination, region=self._region, origin=origin)
        bridge = destination.resource.event_bridge
        if bridge is not None:
            result.next_steps.append(
                f"destination {action.name}: associate the partner event source {bridge.name} with an event "
                f"bus in account {bridge.account_id}, region {bridge.region} (EventBridge console > Partner "
                "event sources, or `aws events create-event-bus --name "
                f"{bridge.name} --event-source-name {bridge.name} --region {bridge.region}`); the infra "
                "template's rule then routes its events to the queue"
            )
        return destination

    async def _apply_subscription(
        self,
        plan: Plan,
        action: SubscriptionAction,
        destination_ids: dict[str, str],
        result: ApplyResult,
        *,
        replace: bool,
    ) -> None:
        if action.verb in ("differs", "extra"):
            return
        partner = plan.partners[action.seller_id]
        label = _label(action)
        try:
            if isinstance(action, KeepSubscription):
                self._record(action, action.existing, "adopted")
                return
            destination_id = None
            if action.want is not None:
                # Before any delete: a replacement whose destination could not be made must leave the
                # working subscription in place, or Amazon stops sending that seller's notifications.
                destination_id = destination_ids.get(action.want.destination)
                if destination_id is None:
                    kept = " (the existing subscription is kept)" if action.verb == "replace" else ""
                    result.failures.append(
                        Failure(
                            action.seller_id,
                            action.notification_type,
                            f"destination {action.want.destination} could not be created (see above){kept}",
                        )
                    )
                    return
            if isinstance(action, ReplaceSubscription) and _new_directive(action):
                assert destination_id is not None
                created = await self._create(partner, action, destination_id, result, replace=replace)
                if created is not None:
                    await self._delete(partner, action.notification_type, action.existing)
                    result.done.append(f"+ replaced subscription {label} ({created.subscription_id})")
                return
            if isinstance(action, DeleteSubscription | ReplaceSubscription):
                await self._delete(partner, action.notification_type, action.existing)
                if isinstance(action, DeleteSubscription):
                    result.done.append(f"- deleted subscription {label} ({action.existing.subscription_id})")
                    return
            assert isinstance(action, CreateSubscription | ReplaceSubscription)
            assert destination_id is not None
            created = await self._create(partner, action, destination_id, result, replace=replace)
            if created is not None:
                verb = "replaced" if action.verb == "replace" else "created"
                result.done.append(f"+ {verb} subscription {label} ({created.subscription_id})")
        except (SpApiError, UnknownSeller) as exc:
            result.failures.append(
                Failure(action.seller_id, action.notification_type, explain(exc, action.notification_type))
            )

    async def _delete(self, partner: SellingPartner, notification_type: str, existing: Subscription) -> None:
        await delete_subscription(self._client, partner, notification_type, existing.subscription_id)
        await records.forget_subscription(self._engine, existing.subscription_id)

    async def _create(
        self,
        partner: SellingPartner,
        action: CreateSubscription | ReplaceSubscription,
        destination_id: str,
        result: ApplyResult,
        *,
        replace: bool,
    ) -> Subscription | None:
        want = action.want

        async def create() -> Subscription:
            made = await self._api.create_subscription(
                partner,
                want.notification_type,
                payload_version=want.payload_version,
                destination_id=destination_id,
                processing_directive=want.directive,
            )
            return made.data

        try:
            created = await create()
        except Conflict:
            # Someone subscribed meanwhile: adopt it when it is what we want, else treat it as differing.
            held = await self._api.get_subscriptions(
                partner, [want.notification_type], page_size=MAX_PAGE_SIZE
            )
            existing = next(
                (s for s in held if directive_key(s.processing_directive) == want.directive_key), None
            )
            if existing is None:
                raise
            why = difference(want, existing, destination_id)
            if not why:
                self._record(action, existing, "adopted")
                return None
            if not replace:
                result.failures.append(
                    Failure(
                        action.seller_id,
                        action.notification_type,
                        f"a differing subscription exists ({why}): apply --replace replaces it",
                    )
                )
                return None
            await self._delete(partner, want.notification_type, existing)
            created = await create()
        self._record(action, created, "created")
        return created

    def _record(self, action: SubscriptionAction, subscription: Subscription, origin: records.Origin) -> None:
        self._pending.append(
            records.SubscriptionRow(subscription, action.seller_id, action.notification_type, origin)
        )

    async def _flush(self, *, at_least: int = 1) -> None:
        """Write the pending records in batches: one statement per batch rather than a transaction per
        subscription. A crash before a write loses no state: the next apply finds the subscription at
        Amazon and records it as adopted."""
        async with self._flushing:
            if len(self._pending) < at_least:
                return
            rows, self._pending = self._pending, []
            await records.record_subscriptions(self._engine, rows, region=self._region)

    async def _delete_destination(self, destination: Destination, result: ApplyResult) -> None:
        try:
            await self._api.delete_destination(destination.destination_id)
        except NotFound:
            pass
        except SpApiError as exc:
            result.failures.append(
                Failure(None, None, f"destination {destination.destination_id}: {explain(exc)}")
            )
            return
        await records.forget_destination(self._engine, destination.destination_id)
        result.done.append(
            f"- deleted destination {destination.name} ({destination.destination_id}): "
            f"{describe_destination(destination)}"
        )


def _new_directive(action: ReplaceSubscription) -> bool:
    """Whether the replacement changes the processing directive (then both may exist at once)."""
    return directive_key(action.existing.processing_directive) != action.want.directive_key


def _label(action: SubscriptionAction) -> str:
    """``SELLER TYPE``, with the directive when the subscription has one (a type may have several)."""
    directive = action.want.directive if action.want is not None else None
    if directive is None and action.existing is not None:
        directive = action.existing.processing_directive
    text = describe_directive(directive)
    return f"{action.seller_id} {action.notification_type}" + (f" [{text}]" if text else "")
