"""Plan and apply: compare the desired state file with what Amazon holds, then make it so.

Sellers are worked on concurrently (bounded); each seller's calls run one after another, so the client's
limiter (one bucket per selling partner and operation, rate 1 burst 5 for the Notifications API) never has to
hold a seller back for the few types a file lists, and Amazon never answers 429. A seller that fails (no
credentials, a revoked authorisation, a missing role) is reported and the others go on.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncEngine

from spapi.apis.notifications import NotificationsApi
from spapi.client import SpApiClient
from spapi.credentials import GRANTLESS, SellingPartner
from spapi.errors import (
    Conflict,
    InvalidGrant,
    LwaError,
    NotFound,
    SpApiError,
    Unauthorized,
)
from spapi.models.notifications_api import Destination, ProcessingDirective, Subscription
from spapi.regions import Region
from store import subscription_records as records
from store.seller_directory import SellerDirectory, UnknownSeller
from subscriptions.config import (
    DesiredConfig,
    DestinationSpec,
    Want,
    explicit_sellers,
    resolve,
    wants_all,
)

DestinationVerb = Literal["create", "keep", "delete", "extra"]
# differs: would be replaced with --replace; extra: would be deleted with --prune.
SubscriptionVerb = Literal["create", "keep", "replace", "differs", "delete", "extra"]
CHANGES: frozenset[str] = frozenset({"create", "replace", "delete"})
_BATCH = 200


class ManagerError(RuntimeError):
    """Nothing can proceed (e.g. the application may not manage destinations); the message says why."""


@dataclass(frozen=True)
class DestinationAction:
    verb: DestinationVerb
    name: str | None  # the file's name; None for a destination not in the file
    spec: DestinationSpec | None
    existing: Destination | None

    def describe(self) -> str:
        if self.spec is not None:
            where = self.spec.describe()
        else:
            assert self.existing is not None
            where = _describe_destination(self.existing)
        ident = f" ({self.existing.destination_id})" if self.existing is not None else ""
        name = self.name or (self.existing.name if self.existing is not None else "")
        return f"{name}{ident}: {where}"


@dataclass(frozen=True)
class SubscriptionAction:
    verb: SubscriptionVerb
    seller_id: str
    notification_type: str
    want: Want | None
    existing: Subscription | None
    difference: str = ""


@dataclass(frozen=True)
class Failure:
    seller_id: str | None
    notification_type: str | None
    message: str

    def describe(self) -> str:
        who = self.seller_id or "grantless"
        return f"{who} {self.notification_type or '(all types)'}: {self.message}"


@dataclass
class Plan:
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
        out: list[str] = []
        marks = {"create": "+", "keep": "=", "delete": "-", "replace": "~", "differs": "!", "extra": "?"}
        for action in self.destinations:
            hint = "  (not in the file: apply --prune deletes it)" if action.verb == "extra" else ""
            out.append(f"{marks[action.verb]} destination {action.verb:<7} {action.describe()}{hint}")
        for sub in sorted(self.subscriptions, key=lambda a: (a.seller_id, a.notification_type)):
            if sub.verb == "keep":
                continue
            text = f"{marks[sub.verb]} subscription {sub.verb:<7} {sub.seller_id} {sub.notification_type}"
            if sub.want is not None and sub.verb == "create":
                text += f" {sub.want.payload_version} -> {sub.want.destination}"
            if sub.existing is not None and sub.verb in ("delete", "extra"):
                text += f" ({sub.existing.subscription_id})"
            if sub.difference:
                text += f": {sub.difference}"
            if sub.verb == "differs":
                text += "  (apply --replace replaces it)"
            if sub.verb == "extra":
                text += "  (not in the file: apply --prune deletes it)"
            out.append(text)
        for failure in self.failures:
            out.append(f"x failed {failure.describe()}")
        out.append(
            f"subscriptions: {self.count('create')} to create, {self.count('replace')} to replace, "
            f"{self.count('delete')} to delete, {self.count('keep')} unchanged"
            + (f", {self.count('differs')} differing" if self.count("differs") else "")
            + (f", {self.count('extra')} not in the file" if self.count("extra") else "")
            + (f"; {len(self.failures)} failed" if self.failures else "")
        )
        return out


@dataclass
class ApplyResult:
    plan: Plan
    done: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = list(self.done)
        out.extend(f"x failed {f.describe()}" for f in self.failures)
        if not self.done and not self.failures:
            out.append("no changes: Amazon already holds the desired state")
        if self.next_steps:
            out.append("next steps:")
            out.extend(f"  {step}" for step in self.next_steps)
        return out


def _describe_destination(destination: Destination) -> str:
    resource = destination.resource
    if resource.sqs is not None:
        return f"sqs {resource.sqs.arn}"
    if resource.event_bridge is not None:
        bridge = resource.event_bridge
        return f"eventbridge account {bridge.account_id} region {bridge.region}"
    return "unknown resource"


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


def _directive_dump(directive: ProcessingDirective | None) -> dict[str, Any] | None:
    if directive is None:
        return None
    dumped = directive.model_dump(by_alias=True, exclude_none=True)
    return dumped or None


def difference(want: Want, existing: Subscription, destination_id: str | None) -> str:
    """Why the existing subscription is not the wanted one ('' when it is)."""
    reasons = []
    if existing.destination_id != destination_id:
        reasons.append(f"destination {existing.destination_id} -> {want.destination}")
    if existing.payload_version != want.payload_version:
        reasons.append(f"payloadVersion {existing.payload_version} -> {want.payload_version}")
    if _directive_dump(existing.processing_directive) != _directive_dump(want.directive):
        reasons.append("processingDirective differs")
    return ", ".join(reasons)


def explain(error: BaseException, notification_type: str | None = None) -> str:
    """An error as the operator's next step."""
    if isinstance(error, UnknownSeller):
        return str(error)
    if isinstance(error, InvalidGrant):
        return (
            f"{error}; the seller must authorise the application again, then store the new refresh token "
            "with `spapi-notify sellers add`"
        )
    if isinstance(error, Unauthorized):
        what = f" {notification_type}" if notification_type else ""
        return (
            f"{error}; missing permissions: the application needs the role that grants{what} notifications "
            "(Developer Central > edit app > roles), and the seller must re-authorise after roles change"
        )
    return str(error)


class SubscriptionManager:
    def __init__(
        self,
        client: SpApiClient,
        directory: SellerDirectory,
        engine: AsyncEngine,
        *,
        region: Region,
        concurrency: int = 16,
    ) -> None:
        self._client = client
        self._directory = directory
        self._engine = engine
        self._region = region
        self._concurrency = concurrency
        self._pending: list[records.SubscriptionRow] = []
        self._flushing = asyncio.Lock()

    @property
    def _api(self) -> NotificationsApi:
        return self._client.notifications

    # -- reading -------------------------------------------------------------------------------------------

    async def _sellers(self, config: DesiredConfig, plan: Plan) -> list[str]:
        """The sellers the file concerns in this region, with their credentials loaded into the plan."""
        candidates: dict[str, bool] = {}  # seller id -> named explicitly
        if wants_all(config):
            candidates.update(dict.fromkeys(await self._directory.known_ids(), False))
        candidates.update(dict.fromkeys(explicit_sellers(config), True))
        usable: list[str] = []
        for seller_id, named in candidates.items():
            try:
                credentials = await self._directory.credentials(seller_id)
            except UnknownSeller as exc:
                plan.failures.append(Failure(seller_id, None, str(exc)))
                continue
            if credentials.region != self._region:
                if named:
                    plan.failures.append(
                        Failure(
                            seller_id,
                            None,
                            f"the seller is in SP-API region {credentials.region.value}, this run manages "
                            f"{self._region.value}: put it in a file with region = "
                            f'"{credentials.region.value}"',
                        )
                    )
                continue
            plan.partners[seller_id] = credentials.partner
            usable.append(seller_id)
        return usable

    async def _destinations(self) -> list[Destination]:
        try:
            return list((await self._api.get_destinations()).data)
        except Unauthorized as exc:
            raise ManagerError(
                f"{exc}; the application may not read destinations: check the LWA client id/secret and that "
                "the app may call the Notifications API (grantless, scope sellingpartnerapi::notifications)"
            ) from None
        except LwaError as exc:
            raise ManagerError(str(exc)) from None

    async def plan(self, config: DesiredConfig, *, replace: bool = False, prune: bool = False) -> Plan:
        config.check_region(self._region)
        plan = Plan(region=self._region)
        sellers = await self._sellers(config, plan)
        failed_sellers = {f.seller_id for f in plan.failures}
        wants = {
            key: want
            for key, want in resolve(config, sellers).items()
            if key[0] in plan.partners and key[0] not in failed_sellers
        }
        existing = await self._destinations()
        destination_ids: dict[str, str | None] = {}
        claimed: set[str] = set()
        for name, spec in config.destinations.items():
            found = next((d for d in existing if matches(spec, d)), None)
            destination_ids[name] = found.destination_id if found else None
            if found is not None:
                claimed.add(found.destination_id)
            plan.destinations.append(DestinationAction("keep" if found else "create", name, spec, found))
        for destination in existing:
            if destination.destination_id not in claimed:
                verb: DestinationVerb = "delete" if prune else "extra"
                plan.destinations.append(DestinationAction(verb, None, None, destination))

        to_check = await self._types_to_check(plan, config, wants, sellers)
        limit = asyncio.Semaphore(self._concurrency)

        async def read(seller_id: str, types: list[str]) -> None:
            async with limit:
                await self._read_seller(
                    plan,
                    seller_id=seller_id,
                    types=types,
                    wants=wants,
                    destination_ids=destination_ids,
                    replace=replace,
                    prune=prune,
                )

        await asyncio.gather(*(read(s, t) for s, t in to_check.items()))
        return plan

    async def _types_to_check(
        self, plan: Plan, config: DesiredConfig, wants: dict[tuple[str, str], Want], sellers: list[str]
    ) -> dict[str, list[str]]:
        """Per seller, the types to read: every type in the file and every type recorded for it, so that
        plan shows what --prune would delete (a subscription nobody wrote down is found only by its type).
        Sellers the file no longer names are read too when subscriptions of theirs are recorded."""
        file_types = [t.type for entry in config.subscriptions for t in entry.types]
        checks: dict[str, dict[str, None]] = {s: dict.fromkeys(file_types) for s in sellers}
        for seller_id, notification_type in wants:
            checks[seller_id][notification_type] = None
        failed = {f.seller_id for f in plan.failures}
        for record in await records.list_subscriptions(self._engine, self._region):
            if record.seller_id not in checks and record.seller_id not in failed:
                try:
                    credentials = await self._directory.credentials(record.seller_id)
                except UnknownSeller as exc:
                    failed.add(record.seller_id)
                    plan.failures.append(
                        Failure(record.seller_id, None, f"{exc} (it has recorded subscriptions to check)")
                    )
                    continue
                plan.partners[record.seller_id] = credentials.partner
                checks[record.seller_id] = {}
            if record.seller_id in checks:
                checks[record.seller_id][record.notification_type] = None
        return {s: list(types) for s, types in checks.items() if types}

    async def _read_seller(
        self,
        plan: Plan,
        *,
        seller_id: str,
        types: list[str],
        wants: dict[tuple[str, str], Want],
        destination_ids: dict[str, str | None],
        replace: bool,
        prune: bool,
    ) -> None:
        partner = plan.partners[seller_id]
        for notification_type in types:
            try:
                result = await self._api.get_subscription(partner, notification_type)
            except LwaError as exc:
                # No token for this seller: every other call would fail the same way.
                plan.failures.append(Failure(seller_id, None, explain(exc)))
                return
            except SpApiError as exc:
                plan.failures.append(Failure(seller_id, notification_type, explain(exc, notification_type)))
                continue
            current: Subscription | None = result.data if result is not None else None
            want = wants.get((seller_id, notification_type))
            action = self._decide(
                seller_id=seller_id,
                notification_type=notification_type,
                want=want,
                current=current,
                destination_ids=destination_ids,
                replace=replace,
                prune=prune,
            )
            if action is not None:
                plan.subscriptions.append(action)

    @staticmethod
    def _decide(
        *,
        seller_id: str,
        notification_type: str,
        want: Want | None,
        current: Subscription | None,
        destination_ids: dict[str, str | None],
        replace: bool,
        prune: bool,
    ) -> SubscriptionAction | None:
        if want is None:
            if current is None:
                return None
            return SubscriptionAction(
                "delete" if prune else "extra", seller_id, notification_type, None, current
            )
        if current is None:
            return SubscriptionAction("create", seller_id, notification_type, want, None)
        why = difference(want, current, destination_ids[want.destination])
        if not why:
            return SubscriptionAction("keep", seller_id, notification_type, want, current)
        verb: SubscriptionVerb = "replace" if replace else "differs"
        return SubscriptionAction(verb, seller_id, notification_type, want, current, why)

    # -- writing -------------------------------------------------------------------------------------------

    async def apply(
        self, config: DesiredConfig, *, replace: bool = False, prune: bool = False
    ) -> ApplyResult:
        plan = await self.plan(config, replace=replace, prune=prune)
        result = ApplyResult(plan=plan, failures=list(plan.failures))
        destination_ids: dict[str, str] = {}
        for action in plan.destinations:
            if action.verb in ("keep", "create"):
                assert action.name is not None
                assert action.spec is not None
                made = await self._ensure_destination(action, result)
                if made is not None:
                    destination_ids[action.name] = made.destination_id

        by_seller: dict[str, list[SubscriptionAction]] = {}
        for sub in plan.subscriptions:
            by_seller.setdefault(sub.seller_id, []).append(sub)
        limit = asyncio.Semaphore(self._concurrency)

        async def work(seller_id: str, actions: list[SubscriptionAction]) -> None:
            async with limit:
                for action in actions:
                    await self._apply_subscription(plan, action, destination_ids, result, replace=replace)
                await self._flush(at_least=_BATCH)

        try:
            await asyncio.gather(*(work(s, a) for s, a in by_seller.items()))
        finally:
            await self._flush()

        for action in plan.destinations:
            if action.verb == "delete":
                assert action.existing is not None
                await self._delete_destination(action.existing, result)
        return result

    async def _ensure_destination(self, action: DestinationAction, result: ApplyResult) -> Destination | None:
        assert action.name is not None
        assert action.spec is not None
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
                destination = next(
                    (d for d in await self._destinations() if matches(spec, d)),
                    None,
                )
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
        label = f"{action.seller_id} {action.notification_type}"
        try:
            if action.verb == "keep":
                assert action.existing is not None
                await self._record(action, action.existing, "adopted")
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
            if action.verb in ("delete", "replace"):
                assert action.existing is not None
                await self._delete_subscription(partner, action.notification_type, action.existing)
                await records.forget_subscription(self._engine, action.existing.subscription_id)
                if action.verb == "delete":
                    result.done.append(f"- deleted subscription {label} ({action.existing.subscription_id})")
                    return
            assert action.want is not None
            assert destination_id is not None
            created = await self._create(partner, action, destination_id, result, replace=replace)
            if created is not None:
                verb = "replaced" if action.verb == "replace" else "created"
                result.done.append(f"+ {verb} subscription {label} ({created.subscription_id})")
        except (SpApiError, UnknownSeller) as exc:
            result.failures.append(
                Failure(action.seller_id, action.notification_type, explain(exc, action.notification_type))
            )

    async def _create(
        self,
        partner: SellingPartner,
        action: SubscriptionAction,
        destination_id: str,
        result: ApplyResult,
        *,
        replace: bool,
    ) -> Subscription | None:
        want = action.want
        assert want is not None

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
            found = await self._api.get_subscription(partner, want.notification_type)
            if found is None:
                raise
            existing: Subscription = found.data
            why = difference(want, existing, destination_id)
            if not why:
                await self._record(action, existing, "adopted")
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
            await self._delete_subscription(partner, want.notification_type, existing)
            await records.forget_subscription(self._engine, existing.subscription_id)
            created = await create()
        await self._record(action, created, "created")
        return created

    async def _record(
        self, action: SubscriptionAction, subscription: Subscription, origin: records.Origin
    ) -> None:
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

    async def _delete_subscription(
        self, partner: SellingPartner | None, notification_type: str, subscription: Subscription
    ) -> None:
        await delete_subscription(self._client, partner, notification_type, subscription.subscription_id)

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
            f"{_describe_destination(destination)}"
        )


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
