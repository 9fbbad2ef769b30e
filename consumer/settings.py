"""spapi-notify settings: ``SPAPI_NOTIFY_*`` environment variables, a ``.env`` file, or a TOML file.

Precedence, highest first: environment, ``.env`` in the working directory, the TOML file named by
``SPAPI_NOTIFY_CONFIG`` (default ``spapi-notify.toml`` in the working directory, when present), defaults.
In the TOML file keys are the setting names without the prefix, in lower case (``queue_url = "..."``).

AWS settings are deliberately not here: endpoint, region and credentials come from the standard AWS
variables and credential chain (AWS_ENDPOINT_URL, AWS_DEFAULT_REGION, AWS_PROFILE, ...).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from spapi.config import SpApiConfig
from spapi.credentials import SellingPartner
from spapi.model_catalog import UsagePlan
from spapi.regions import LWA_TOKEN_URL, Region

ENV_PREFIX = "SPAPI_NOTIFY_"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./spapi-notify.db"


class SettingsError(Exception):
    """A setting needed for the requested command is missing or invalid."""


def _toml_file() -> Path:
    return Path(os.environ.get(f"{ENV_PREFIX}CONFIG", "spapi-notify.toml"))


class Settings(BaseSettings):
    """Every SPAPI_NOTIFY_* setting (see the module docstring for where they are read from)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    # --- SP-API application (Login with Amazon) ---
    lwa_client_id: str | None = None
    lwa_client_secret: SecretStr | None = None
    application_id: str | None = Field(
        default=None, description="amzn1.sp.solution.*: notifications for other applications are rejected"
    )
    region: Region = Region.NA
    endpoint: str | None = Field(default=None, description="Override of the SP-API base URL")
    lwa_endpoint: str = LWA_TOKEN_URL
    sandbox: bool = Field(default=False, description="Use Amazon's sandbox hosts")

    # Single-seller shortcut; the sellers table holds the others.
    seller_id: str | None = None
    refresh_token: SecretStr | None = None

    # --- SigV4 (off by default: Amazon no longer requires it) ---
    sigv4: bool = False
    sigv4_role_arn: str | None = None

    # --- SP-API client behaviour ---
    rate_limit_max_wait: float = Field(default=60.0, gt=0)
    spapi_max_attempts: int = Field(default=5, ge=1)
    spapi_timeout: float = Field(default=30.0, gt=0)

    # --- storage ---
    database_url: str = DEFAULT_DATABASE_URL

    # --- the daemon (spapi-notify run) ---
    queue_url: str | None = Field(default=None, description="SQS queue Amazon (or EventBridge) delivers to")
    dlq_url: str | None = Field(
        default=None, description="Dead-letter queue; default: the queue's RedrivePolicy deadLetterTargetArn"
    )
    pollers: int = Field(default=2, ge=1, le=100, description="Concurrent long-polling receivers")
    max_in_flight: int = Field(default=40, ge=1, description="Most messages being worked on")
    visibility_timeout: int | None = Field(
        default=None, ge=1, le=43_200, description="Seconds; default: the queue's VisibilityTimeout"
    )
    receive_wait_seconds: int = Field(default=20, ge=0, le=20, description="SQS long-poll wait")
    retry_backoff_base: float = Field(
        default=10.0, gt=0, description="Visibility (s) after a transient failure on the first receive"
    )
    retry_backoff_max: float = Field(
        default=900.0, gt=0, description="Longest visibility (s) a transient failure backs off to"
    )
    shutdown_grace: float = Field(default=30.0, ge=0, description="Seconds for in-flight work on SIGTERM")
    handler_timeout: float = Field(default=600.0, gt=0, description="Seconds one notification may take")
    plugins: str = Field(default="", description="Comma-separated modules with register(registry, services)")
    metrics_host: str = "0.0.0.0"  # noqa: S104 (the container's probes and Prometheus reach it from outside)
    metrics_port: int | None = Field(
        default=9464, ge=0, le=65535, description="/metrics, /healthz, /readyz; unset or empty disables"
    )

    # --- sellers ---
    encryption_key: SecretStr | None = Field(
        default=None,
        description="Fernet keys encrypting stored refresh tokens; comma-separated, newest first",
    )

    # --- ORDER_CHANGE handler ---
    order_included_data: str = Field(
        default="PROCEEDS,EXPENSE,PROMOTION,CANCELLATION,FULFILLMENT,PACKAGES",
        description="getOrder includedData, comma-separated; BUYER/RECIPIENT only with fetch_pii",
    )
    fetch_pii: bool = Field(default=False, description="Also fetch BUYER and RECIPIENT (with an RDT)")
    order_coalesce_seconds: float = Field(
        default=0.5, ge=0, description="How long a getOrder waits for more notifications of its order"
    )

    # --- REPORT_PROCESSING_FINISHED handler ---
    report_dir: str = Field(
        default="./reports",
        description="Where report documents are stored: a directory or s3://bucket/prefix",
    )

    # --- reliability (start-up, outages, bad input) ---
    startup_timeout: float = Field(
        default=60.0, ge=0, description="Seconds `run` waits for its database at start-up before giving up"
    )
    future_tolerance: float = Field(
        default=300.0,
        ge=0,
        description="Seconds a notification's EventTime or PublishTime may be ahead of our clock",
    )

    # --- reconciliation (searchOrders sweeps) ---
    reconcile_interval: float = Field(
        default=900.0, ge=0, description="Seconds between a seller's sweeps in the daemon; 0 turns them off"
    )
    reconcile_overlap: float = Field(
        default=600.0, ge=0, description="Seconds a sweep re-reads before the high-water mark (Amazon's lag)"
    )
    reconcile_grace: float = Field(
        default=300.0,
        ge=120,
        description="Seconds before now a sweep stops, so notifications in flight are not counted as missed",
    )
    reconcile_lookback: float = Field(
        default=86_400.0, gt=0, description="Seconds a seller's first sweep looks back"
    )
    reconcile_silence_after: float = Field(
        default=21_600.0,
        gt=0,
        description="Seconds without an ORDER_CHANGE, while a sweep finds missed orders, that flag silence",
    )

    # --- notification events and the change feed ---
    event_types: str = Field(
        default="all",
        description="Types without a handler kept in notification_events: all, none, TYPE,... or -TYPE,...",
    )
    changes_retention_days: float = Field(
        default=7.0, ge=0, description="Days the change feed keeps a change for its followers; 0: forever"
    )

    # --- operators (/status, queue-depth and rate-budget gauges) ---
    status_interval: float = Field(
        default=30.0,
        gt=0,
        description="Seconds between reads of the queue depths and the rate budget (/status, gauges)",
    )

    # --- logging ---
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object, info: ValidationInfo) -> object:
        """An empty variable (SPAPI_NOTIFY_METRICS_PORT=) unsets an optional setting instead of failing."""
        if isinstance(value, str) and value.strip() in ("", "none", "off") and info.field_name in _OPTIONAL:
            return None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=_toml_file()),
            file_secret_settings,
        )

    def require(self, *names: str) -> None:
        """Fail with the environment variable names of every missing setting among ``names``."""
        missing = [f"{ENV_PREFIX}{n.upper()}" for n in names if getattr(self, n) in (None, "")]
        if missing:
            raise SettingsError(f"missing required setting(s): {', '.join(missing)}")

    def spapi_config(self, *, rate_limit_overrides: dict[str, UsagePlan] | None = None) -> SpApiConfig:
        self.require("lwa_client_id", "lwa_client_secret")
        assert self.lwa_client_id is not None
        assert self.lwa_client_secret is not None
        return SpApiConfig(
            lwa_client_id=self.lwa_client_id,
            lwa_client_secret=self.lwa_client_secret,
            region=self.region,
            endpoint=self.endpoint,
            lwa_endpoint=self.lwa_endpoint,
            sandbox=self.sandbox,
            application_id=self.application_id,
            sigv4=self.sigv4,
            sigv4_role_arn=self.sigv4_role_arn,
            rate_limit_max_wait=self.rate_limit_max_wait,
            rate_limit_overrides=rate_limit_overrides or {},
            max_attempts=self.spapi_max_attempts,
            timeout=self.spapi_timeout,
        )

    def single_seller(self) -> SellingPartner | None:
        """The seller configured by SPAPI_NOTIFY_SELLER_ID + SPAPI_NOTIFY_REFRESH_TOKEN, if both are set."""
        if self.seller_id and self.refresh_token is not None:
            return SellingPartner(id=self.seller_id, refresh_token=self.refresh_token)
        if bool(self.seller_id) != (self.refresh_token is not None):
            raise SettingsError(
                "SPAPI_NOTIFY_SELLER_ID and SPAPI_NOTIFY_REFRESH_TOKEN go together: set both or neither"
            )
        return None


# Settings that may be None, so that an empty value means "not set" for them.
_OPTIONAL = frozenset(
    name for name, field in Settings.model_fields.items() if not field.is_required() and field.default is None
) | {"metrics_port"}
