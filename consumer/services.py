"""What handlers get to work with: settings, the database, sellers' credentials and SP-API clients."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.settings import Settings
from spapi import Region, SpApiClient
from store.seller_directory import SellerDirectory


class ServiceUnavailable(RuntimeError):
    """A handler needs something the settings do not provide (e.g. LWA credentials for SP-API calls)."""


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    spapi_client: SpApiClient | None = None
    seller_directory: SellerDirectory | None = None
    _regional: dict[Region, SpApiClient] = field(default_factory=dict, repr=False)

    @property
    def spapi(self) -> SpApiClient:
        """The client for the configured region (SPAPI_NOTIFY_REGION, or SPAPI_NOTIFY_ENDPOINT)."""
        if self.spapi_client is None:
            raise ServiceUnavailable(
                "this handler calls SP-API: set SPAPI_NOTIFY_LWA_CLIENT_ID and SPAPI_NOTIFY_LWA_CLIENT_SECRET"
            )
        return self.spapi_client

    def spapi_for(self, region: Region) -> SpApiClient:
        """The client for a seller's region: sellers of one application may live in NA, EU and FE."""
        client = self.spapi
        if region == self.settings.region or self.settings.endpoint:
            return client
        if region not in self._regional:
            config = client.config.model_copy(update={"region": region})
            self._regional[region] = SpApiClient(config, http=client.http, limiter=client.limiter)
        return self._regional[region]

    @property
    def sellers(self) -> SellerDirectory:
        if self.seller_directory is None:
            self.seller_directory = SellerDirectory(
                self.engine,
                self.settings.encryption_key,
                shortcut=self.settings.single_seller(),
                shortcut_region=self.settings.region,
            )
        return self.seller_directory
