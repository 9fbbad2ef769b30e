"""What every handler works with: the database, the sellers' credentials and the SP-API client.

The application builds one HandlerContext and hands it to each handler; handlers never read settings.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from spapi import Region, SpApiClient
from store.seller_directory import SellerDirectory


def replica_name() -> str:
    """A name for this process, unique in the fleet: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class ServiceUnavailable(RuntimeError):
    """A handler needs something the application was not given (e.g. LWA credentials for SP-API calls)."""


@dataclass(frozen=True)
class HandlerContext:
    """The shared services of the handlers; ``spapi`` is None when no LWA credentials are configured."""

    engine: AsyncEngine
    sellers: SellerDirectory
    spapi: SpApiClient | None = None
    # This process among the replicas of a fleet (claims name it).
    replica: str = field(default_factory=replica_name)

    def client_for(self, region: Region) -> SpApiClient:
        """The client for a seller's region: sellers of one application may live in NA, EU and FE."""
        if self.spapi is None:
            raise ServiceUnavailable(
                "this handler calls SP-API: set SPAPI_NOTIFY_LWA_CLIENT_ID and SPAPI_NOTIFY_LWA_CLIENT_SECRET"
            )
        return self.spapi.for_region(region)
