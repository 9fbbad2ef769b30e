"""From settings to the small typed configs the components take: the one place that reads Settings for them.

Errors a setting can cause are SettingsError here, naming the SPAPI_NOTIFY_* variable to fix.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.daemon.loop import DaemonConfig
from consumer.settings import Settings, SettingsError
from handlers import HandlersConfig
from handlers.order_change import OrderChangeConfig, PiiNotEnabled, UnknownDatasets, order_datasets
from handlers.report_storage import report_storage
from spapi import Region, SpApiClient
from store.rate_budget import DatabaseBudget
from store.seller_directory import SellerDirectory


def order_change_config(settings: Settings) -> OrderChangeConfig:
    """SPAPI_NOTIFY_ORDER_INCLUDED_DATA (checked against the model), FETCH_PII and ORDER_COALESCE_SECONDS."""
    try:
        datasets = order_datasets(settings.order_included_data.split(","), fetch_pii=settings.fetch_pii)
    except UnknownDatasets as exc:
        raise SettingsError(f"SPAPI_NOTIFY_ORDER_INCLUDED_DATA: {exc}") from None
    except PiiNotEnabled as exc:
        raise SettingsError(
            f"SPAPI_NOTIFY_ORDER_INCLUDED_DATA names {', '.join(exc.datasets)}: "
            "buyer data is fetched only with SPAPI_NOTIFY_FETCH_PII=true"
        ) from None
    return OrderChangeConfig(
        included_data=datasets,
        coalesce_seconds=settings.order_coalesce_seconds,
        # A claim outlives the claimant's longest wait for a rate-limit slot and its call; it matters only
        # when the claimant crashed: the others wait that long, then fetch the order themselves.
        claim_seconds=settings.rate_limit_max_wait + settings.spapi_timeout,
    )


def handlers_config(settings: Settings) -> HandlersConfig:
    """What the notification handlers need: the ORDER_CHANGE options and the report storage."""
    return HandlersConfig(
        order_change=order_change_config(settings), report_storage=report_storage(settings.report_dir)
    )


def shared_client(settings: Settings, engine: AsyncEngine, region: Region | None = None) -> SpApiClient:
    """The SP-API client of a daemon or a command: its rate budget lives in the database, shared by every
    process that uses it (store.rate_budget), so replicas and commands together stay inside Amazon's plans."""
    config = settings.spapi_config()
    if region is not None and region != config.region:
        config = config.model_copy(update={"region": region})
    return SpApiClient(config, budget=DatabaseBudget(engine))


def seller_directory(settings: Settings, engine: AsyncEngine) -> SellerDirectory:
    """The sellers table, plus the single-seller shortcut (SettingsError when it is half configured)."""
    return SellerDirectory(
        engine, settings.encryption_key, shortcut=settings.single_seller(), shortcut_region=settings.region
    )


def daemon_config(settings: Settings, queue_visibility_timeout: int) -> DaemonConfig:
    """The daemon's pollers, bounds and backoff; the visibility timeout falls back to the queue's own."""
    return DaemonConfig(
        pollers=settings.pollers,
        max_in_flight=settings.max_in_flight,
        visibility_timeout=settings.visibility_timeout or queue_visibility_timeout,
        receive_wait_seconds=settings.receive_wait_seconds,
        retry_backoff_base=settings.retry_backoff_base,
        retry_backoff_max=settings.retry_backoff_max,
        shutdown_grace=settings.shutdown_grace,
    )
