"""What the doctor is told: the settings it checks (a typed copy, built by consumer/app) and how to reach
the database, SP-API and AWS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from spapi.client import SpApiClient
from spapi.regions import Region
from store.seller_directory import SellerDirectory
from subscriptions.config import DesiredConfig


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DoctorConfig:
    """The settings under examination and the command's options."""

    region: Region
    application_id: str | None
    lwa_client_id: str | None
    lwa_client_secret_set: bool
    encryption_key: SecretStr | None = field(repr=False)
    database_url: str = field(repr=False)  # shown only with the password masked
    queue_url: str | None
    dlq_url: str | None
    visibility_timeout: int | None  # SPAPI_NOTIFY_VISIBILITY_TIMEOUT (None: the queue's)
    handler_timeout: float
    retry_backoff_base: float
    retry_backoff_max: float
    sandbox: bool = False
    # SPAPI_NOTIFY_SELLER_ID/REFRESH_TOKEN set by halves: the problem, in a sentence.
    shortcut_problem: str | None = None
    # --seller (empty: every seller we hold credentials for).
    sellers: tuple[str, ...] = ()
    # --config: the desired-state file, and its path for the fix commands.
    desired: DesiredConfig | None = None
    desired_path: str | None = None
    # A type silent this long, while the seller's orders changed, is flagged.
    silent_after: timedelta = timedelta(hours=24)
    now: Callable[[], datetime] = _now


@dataclass(frozen=True)
class DoctorResources:
    """How the doctor reaches what it checks; consumer/app wires them from the settings.

    ``spapi_client(engine)`` makes the SP-API client: with the database's shared rate budget when an engine is
    given (every SP-API call the doctor makes goes through it), else one that only fetches LWA tokens.
    """

    engine: Callable[[], AsyncEngine]
    spapi_client: Callable[[AsyncEngine | None], SpApiClient]
    seller_directory: Callable[[AsyncEngine], SellerDirectory]
    aws: Any  # an aioboto3.Session: endpoint, region and credentials from the standard AWS configuration
