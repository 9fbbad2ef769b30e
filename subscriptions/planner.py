"""Reading what is: the sellers the file concerns, Amazon's destinations and each seller's subscriptions.

A seller's subscriptions to a type are read with getSubscriptions (paginated), which lists every one of them:
Amazon allows several per type when their processing directives differ. Sellers are read concurrently
(bounded); each seller's calls run one after another, inside the client's rate budget. What is read
becomes a Plan through subscriptions.plan's decisions. A seller that cannot be read (no credentials, a
revoked authorisation, a missing role) becomes a Failure and the others go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from spapi.apis.notifications import MAX_PAGE_SIZE, NotificationsApi
from spapi.errors import LwaError, SpApiError, Unauthorized
from spapi.models.notifications_api import Destination
from spapi.regions import Region
from store import subscription_records as records
from store.seller_directory import SellerDirectory, UnknownSeller
from subscriptions.config import DesiredConfig, Wants, explicit_sellers, resolve, wants_all
from subscriptions.failures import Failure, ManagerError, explain
from subscriptions.plan import Plan, plan_destinations, plan_type


async def read_destinations(api: NotificationsApi) -> list[Destination]:
    """Every destination of the application; ManagerError when it may not read them."""
    try:
        return list((await api.get_destinations()).data)
    except Unauthorized as exc:
        raise ManagerError(
            f"{exc}; the application may not read destinations: check the LWA client id/secret and that "
            "the app may call the Notifications API (grantless, scope sellingpartnerapi::notifications)"
        ) from None
    except LwaError as exc:
        raise ManagerError(str(exc)) from None


class Planner:
    """Builds the Plan of one region (see the module docstring)."""

    def __init__(
        self,
        api: NotificationsApi,
        directory: SellerDirectory,
        engine: AsyncEngine,
        *,
        region: Region,
        concurrency: int = 16,
    ) -> None:
        self._api = api
        self._directory = directory
        self._engine = engine
        self._region = region
        self._concurrency = concurrency

    async def plan(
        self,
        config: DesiredConfig,
        *,
        replace: bool = False,
        prune: bool = False,
        only: Collection[str] | None = None,
        destinations: Sequence[Destination] | None = None,
    ) -> Plan:
        """The file against what Amazon holds; with ``only``, for those sellers alone (no others are read);
        with ``destinations``, the application's destinations as the caller has just read them (else read
        here)."""
        config.check_region(self._region)
        plan = Plan(region=self._region)
        sellers = await self._sellers(config, plan, only)
        failed_sellers = {f.seller_id for f in plan.failures}
        wants = resolve(config, sellers).only(s for s in plan.partners if s not in failed_sellers)
        if destinations is None:
            destinations = await read_destinations(self._api)
        plan.destinations, destination_ids = plan_destinations(config, destinations, prune=prune)
        to_check = await self._types_to_check(plan, config, wants, sellers, only)
        limit = asyncio.Semaphore(self._concurrency)

        async def read(seller_id: str, types: list[str]) -> None:
            async with limit:
                await self._read_seller(plan, seller_id, types, wants, destination_ids, replace, prune)

        await asyncio.gather(*(read(s, t) for s, t in to_check.items()))
        return plan

    async def _sellers(self, config: DesiredConfig, plan: Plan, only: Collection[str] | None) -> list[str]:
        """The sellers the file concerns in this region, with their credentials loaded into the plan."""
        candidates: dict[str, bool] = {}  # seller id -> named explicitly
        if wants_all(config):
            candidates.update(dict.fromkeys(await self._directory.known_ids(), False))
        candidates.update(dict.fromkeys(explicit_sellers(config), True))
        if only is not None:
            candidates = {s: named for s, named in candidates.items() if s in only}
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

    async def _types_to_check(
        self,
        plan: Plan,
        config: DesiredConfig,
        wants: Wants,
        sellers: list[str],
        only: Collection[str] | None,
    ) -> dict[str, list[str]]:
        """Per seller, the types to read: every type in the file and every type recorded for it, so that
        plan shows what --prune would delete (a subscription nobody wrote down is found only by its type).
        Sellers the file no longer names are read too when subscriptions of theirs are recorded."""
        file_types = [t.type for entry in config.subscriptions for t in entry.types]
        checks: dict[str, dict[str, None]] = {s: dict.fromkeys(file_types) for s in sellers}
        for seller_id, notification_type in wants.pairs():
            checks[seller_id][notification_type] = None
        failed = {f.seller_id for f in plan.failures}
        for record in await records.list_subscriptions(self._engine, self._region):
            if only is not None and record.seller_id not in only:
                continue
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

    async def _read_seller(  # noqa: PLR0917 (the plan's inputs for one seller)
        self,
        plan: Plan,
        seller_id: str,
        types: list[str],
        wants: Wants,
        destination_ids: dict[str, str | None],
        replace: bool,
        prune: bool,
    ) -> None:
        partner = plan.partners[seller_id]
        for notification_type in types:
            try:
                current = await self._api.get_subscriptions(
                    partner, [notification_type], page_size=MAX_PAGE_SIZE
                )
            except LwaError as exc:
                # No token for this seller: every other call would fail the same way.
                plan.failures.append(Failure(seller_id, None, explain(exc)))
                return
            except SpApiError as exc:
                plan.failures.append(Failure(seller_id, notification_type, explain(exc, notification_type)))
                continue
            plan.subscriptions += plan_type(
                seller_id=seller_id,
                notification_type=notification_type,
                wants=wants.of(seller_id, notification_type),
                current=current,
                destination_ids=destination_ids,
                replace=replace,
                prune=prune,
            )
