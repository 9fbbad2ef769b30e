"""What handlers get to work with: settings, the database, and the SP-API client (when configured)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.settings import Settings
from spapi import SpApiClient


class ServiceUnavailable(RuntimeError):
    """A handler needs something the settings do not provide (e.g. LWA credentials for SP-API calls)."""


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    spapi_client: SpApiClient | None = None

    @property
    def spapi(self) -> SpApiClient:
        if self.spapi_client is None:
            raise ServiceUnavailable(
                "this handler calls SP-API: set SPAPI_NOTIFY_LWA_CLIENT_ID and SPAPI_NOTIFY_LWA_CLIENT_SECRET"
            )
        return self.spapi_client
