"""Plan and apply: compare the desired state file with what Amazon holds, then make it so.

The work is split by kind: subscriptions.planner reads (sellers, Amazon's destinations and subscriptions),
subscriptions.plan decides (pure), subscriptions.apply acts, subscriptions.render prints.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from spapi.client import SpApiClient
from spapi.regions import Region
from store.seller_directory import SellerDirectory
from subscriptions.apply import Applier, ApplyResult, delete_subscription
from subscriptions.config import DesiredConfig
from subscriptions.failures import Failure, ManagerError
from subscriptions.plan import Plan
from subscriptions.planner import Planner

__all__ = ["ApplyResult", "Failure", "ManagerError", "Plan", "SubscriptionManager", "delete_subscription"]


class SubscriptionManager:
    """``plan`` shows what ``apply`` would do; ``apply`` plans, then acts (idempotent)."""

    def __init__(
        self,
        client: SpApiClient,
        directory: SellerDirectory,
        engine: AsyncEngine,
        *,
        region: Region,
        concurrency: int = 16,
    ) -> None:
        self._planner = Planner(
            client.notifications, directory, engine, region=region, concurrency=concurrency
        )
        self._applier = Applier(client, engine, region=region, concurrency=concurrency)

    async def plan(self, config: DesiredConfig, *, replace: bool = False, prune: bool = False) -> Plan:
        return await self._planner.plan(config, replace=replace, prune=prune)

    async def apply(
        self, config: DesiredConfig, *, replace: bool = False, prune: bool = False
    ) -> ApplyResult:
        plan = await self._planner.plan(config, replace=replace, prune=prune)
        return await self._applier.apply(plan, replace=replace)
