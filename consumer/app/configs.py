"""From settings to the small typed configs the components take: the one place that reads Settings for them.

Errors a setting can cause are SettingsError here, naming the SPAPI_NOTIFY_* variable to fix.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.daemon.loop import DaemonConfig
from consumer.settings import Settings, SettingsError
from handlers import HandlersConfig
from handlers.notification_events import EventTypes
from handlers.order_change import OrderChangeConfig, PiiNotEnabled, UnknownDatasets, order_datasets
from handlers.report_storage import report_storage
from spapi import Region, SpApiClient
from spapi.observer import CallObserver
from store.rate_budget import DatabaseBudget
from store.seller_directory import SellerDirectory
from subscriptions.types import UnknownNotificationType, check_type


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
    """What the notification handlers need: the ORDER_CHANGE options, the report storage, the types kept."""
    return HandlersConfig(
        order_change=order_change_config(settings),
        report_storage=report_storage(settings.report_dir),
        event_types=event_types(settings),
    )


def event_types(settings: Settings) -> EventTypes:
    """SPAPI_NOTIFY_EVENT_TYPES: ``all``, ``none``, the types to keep, or (each with ``-``) those not to.

    A name Amazon does not know is refused: a typo would otherwise keep or drop the wrong type silently.
    """
    entries = [entry.strip() for entry in settings.event_types.split(",") if entry.strip()]
    words = {entry.lower() for entry in entries}
    if not entries or words == {"all"}:
        return EventTypes()
    if words == {"none"}:
        return EventTypes.of(only=())
    dropped = [entry[1:].strip() for entry in entries if entry.startswith("-")]
    kept = [entry for entry in entries if not entry.startswith("-") and entry.lower() != "all"]
    if (dropped and kept) or "none" in words:
        raise SettingsError(
            "SPAPI_NOTIFY_EVENT_TYPES: give `all`, `none`, the types to keep (TYPE,TYPE) or the types not to "
            f"keep (-TYPE,-TYPE), not a mixture: {settings.event_types!r}"
        )
    for name in kept + dropped:
        try:
            check_type(name)
        except UnknownNotificationType as exc:
            raise SettingsError(f"SPAPI_NOTIFY_EVENT_TYPES: {exc}") from None
    return EventTypes.of(only=None if "all" in words or not kept else kept, not_=dropped)


def changes_retention(settings: Settings) -> timedelta | None:
    """SPAPI_NOTIFY_CHANGES_RETENTION_DAYS as a duration; None when changes are kept forever (0)."""
    days = settings.changes_retention_days
    return timedelta(days=days) if days > 0 else None


def shared_client(
    settings: Settings,
    engine: AsyncEngine,
    region: Region | None = None,
    *,
    observer: CallObserver | None = None,
) -> SpApiClient:
    """The SP-API client of a daemon or a command: its rate budget lives in the database, shared by every
    process that uses it (store.rate_budget), so replicas and commands together stay inside Amazon's plans.
    ``observer``: told about every call (the daemon's metrics)."""
    config = settings.spapi_config()
    if region is not None and region != config.region:
        config = config.model_copy(update={"region": region})
    return SpApiClient(config, budget=DatabaseBudget(engine), observer=observer)


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
