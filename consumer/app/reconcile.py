"""Reconciliation wired from settings: its typed config, and the daemon's periodic sweeps as a background
task that starts with the daemon and stops (cancelling a sweep in progress, which the next one resumes)
before the daemon's database and SP-API client close."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import structlog

from consumer.app.configs import order_change_config, seller_directory, shared_client
from consumer.ops.metrics import Metrics
from consumer.reconcile.config import ReconcileConfig
from consumer.reconcile.scheduler import ReconcileScheduler
from consumer.reconcile.sweep import Sweeper
from consumer.settings import Settings
from handlers.context import HandlerContext, replica_name
from store.engine import create_engine
from store.migrate import ensure_current

log = structlog.get_logger("consumer")


def reconcile_config(settings: Settings) -> ReconcileConfig:
    """SPAPI_NOTIFY_RECONCILE_*; the sweep asks for getOrder's datasets (SPAPI_NOTIFY_ORDER_INCLUDED_DATA),
    so a page of searchOrders brings whole orders and needs no getOrder per order."""
    return ReconcileConfig(
        included_data=order_change_config(settings).included_data,
        interval=settings.reconcile_interval,
        overlap=settings.reconcile_overlap,
        grace=settings.reconcile_grace,
        lookback=settings.reconcile_lookback,
        silence_after=settings.reconcile_silence_after,
    )


def sweeper(settings: Settings, context: HandlerContext, metrics: Metrics) -> Sweeper:
    """A Sweeper on the handlers' services: their database, sellers, SP-API client (and so its shared
    rate budget) and replica name."""
    return Sweeper(
        context.engine,
        context.sellers,
        context.client_for,
        reconcile_config(settings),
        metrics,
        replica=context.replica,
    )


@asynccontextmanager
async def periodic_sweeps(
    settings: Settings, context: HandlerContext, metrics: Metrics
) -> AsyncIterator[ReconcileScheduler | None]:
    """The daemon's sweeps every SPAPI_NOTIFY_RECONCILE_INTERVAL for the length of the block; None when
    the interval is 0 or SP-API credentials are missing."""
    if settings.reconcile_interval <= 0 or context.spapi is None:
        yield None
        return
    scheduler = ReconcileScheduler(
        sweeper(settings, context, metrics),
        context.sellers,
        context.engine,
        reconcile_config(settings),
        metrics,
    )
    task = asyncio.create_task(scheduler.run(), name="reconcile")
    log.info("daemon.reconcile", interval_s=settings.reconcile_interval)
    try:
        yield scheduler
    finally:
        scheduler.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@asynccontextmanager
async def open_sweeper(
    settings: Settings,
    *,
    concurrency: int = 4,
    metrics: Metrics | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> AsyncIterator[Sweeper]:
    """A Sweeper for a command: the database (checked to be migrated), the sellers, and an SP-API client
    on the shared rate budget, so a command beside running daemons stays inside Amazon's plans.
    ``overrides``: ReconcileConfig fields no setting names (page size, lease lifetime)."""
    engine = create_engine(settings.database_url)
    try:
        await ensure_current(engine)
        directory = seller_directory(settings, engine)
        config = replace(reconcile_config(settings), concurrency=concurrency, **(overrides or {}))
        async with shared_client(settings, engine) as client:
            yield Sweeper(
                engine, directory, client.for_region, config, metrics or Metrics(), replica=replica_name()
            )
    finally:
        await engine.dispose()
