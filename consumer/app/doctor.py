"""Wiring the delivery check (``spapi-notify doctor``) from settings: the typed copy of the settings it
examines, and how it reaches the database, SP-API (through the shared rate budget) and AWS."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import aioboto3
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.app.configs import seller_directory, shared_client
from consumer.doctor.check import Check
from consumer.doctor.config import DoctorConfig, DoctorResources
from consumer.doctor.runner import diagnose
from consumer.settings import Settings, SettingsError
from spapi.client import SpApiClient
from store.engine import create_engine
from store.seller_directory import SellerDirectory
from subscriptions.config import DesiredConfig


def doctor_config(
    settings: Settings,
    *,
    sellers: Sequence[str] = (),
    desired: DesiredConfig | None = None,
    desired_path: str | None = None,
    silent_after: timedelta = timedelta(hours=24),
) -> DoctorConfig:
    """The settings the doctor examines, and the command's options."""
    try:
        settings.single_seller()
        shortcut_problem = None
    except SettingsError as exc:
        shortcut_problem = str(exc)
    return DoctorConfig(
        region=desired.region if desired is not None and desired.region is not None else settings.region,
        application_id=settings.application_id,
        lwa_client_id=settings.lwa_client_id,
        lwa_client_secret_set=settings.lwa_client_secret is not None,
        encryption_key=settings.encryption_key,
        database_url=settings.database_url,
        queue_url=settings.queue_url,
        dlq_url=settings.dlq_url,
        visibility_timeout=settings.visibility_timeout,
        handler_timeout=settings.handler_timeout,
        retry_backoff_base=settings.retry_backoff_base,
        retry_backoff_max=settings.retry_backoff_max,
        sandbox=settings.sandbox,
        shortcut_problem=shortcut_problem,
        sellers=tuple(dict.fromkeys(sellers)),
        desired=desired,
        desired_path=desired_path,
        silent_after=silent_after,
    )


def doctor_resources(settings: Settings, session: aioboto3.Session | None = None) -> DoctorResources:
    """The database engine, the SP-API client (the shared rate budget when the database is usable), the
    sellers directory and the AWS session."""

    def client(engine: AsyncEngine | None) -> SpApiClient:
        if engine is not None:
            return shared_client(settings, engine)
        # Without the database only LWA tokens are fetched: no SP-API call is made with this client.
        return SpApiClient(settings.spapi_config())

    def directory(engine: AsyncEngine) -> SellerDirectory:
        try:
            return seller_directory(settings, engine)
        except SettingsError:
            # The shortcut is half set (settings.seller_shortcut says so): check the sellers table alone.
            return SellerDirectory(engine, settings.encryption_key)

    return DoctorResources(
        engine=lambda: create_engine(settings.database_url),
        spapi_client=client,
        seller_directory=directory,
        aws=session or aioboto3.Session(),
    )


async def run_doctor(
    settings: Settings,
    *,
    sellers: Sequence[str] = (),
    desired: DesiredConfig | None = None,
    desired_path: str | None = None,
    silent_after: timedelta = timedelta(hours=24),
    session: aioboto3.Session | None = None,
) -> list[Check]:
    """Every check of ``spapi-notify doctor``, against what the settings name (AWS through ``session``, by
    default a new one from the standard AWS configuration)."""
    config = doctor_config(
        settings, sellers=sellers, desired=desired, desired_path=desired_path, silent_after=silent_after
    )
    return await diagnose(config, doctor_resources(settings, session))
