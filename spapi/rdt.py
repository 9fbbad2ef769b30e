"""Restricted Data Tokens (Tokens API createRestrictedDataToken) for operations that return buyer PII.

An RDT replaces the LWA access token on a restricted call. It is cached per (selling partner, set of
restricted resources) until ``expiresIn`` minus a skew, with one creation in flight per key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from spapi.credentials import SellingPartner
from spapi.operation import Operation

if TYPE_CHECKING:
    from spapi.client import SpApiClient

CREATE_RDT = Operation.of("tokens_2021-03-01.createRestrictedDataToken")


@dataclass(frozen=True)
class RestrictedResource:
    """A restricted operation's method and path (concrete, or with ``{placeholders}``), plus PII elements."""

    method: str
    path: str
    data_elements: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"method": self.method, "path": self.path}
        if self.data_elements:
            body["dataElements"] = list(self.data_elements)
        return body


class CreateRestrictedDataTokenResponse(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow")

    restricted_data_token: str = Field(alias="restrictedDataToken", repr=False)
    expires_in: int = Field(alias="expiresIn")


@dataclass(frozen=True)
class _Cached:
    token: str = field(repr=False)
    expires_at: float


class RestrictedDataTokens:
    def __init__(
        self,
        client: SpApiClient,
        *,
        skew: float = 60.0,
        target_application: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._skew = skew
        self._target_application = target_application
        self._clock = clock
        self._cache: dict[tuple[str, tuple[RestrictedResource, ...]], _Cached] = {}
        self._locks: dict[tuple[str, tuple[RestrictedResource, ...]], asyncio.Lock] = {}

    def _valid(self, key: tuple[str, tuple[RestrictedResource, ...]]) -> str | None:
        entry = self._cache.get(key)
        if entry is not None and self._clock() < entry.expires_at:
            return entry.token
        return None

    async def token(self, partner: SellingPartner, resources: Sequence[RestrictedResource]) -> str:
        key = (partner.cache_key, tuple(sorted(set(resources), key=lambda r: (r.method, r.path))))
        found = self._valid(key)
        if found is not None:
            return found
        async with self._locks.setdefault(key, asyncio.Lock()):
            found = self._valid(key)
            if found is not None:
                return found
            created = await self.create(partner, key[1])
            lifetime = max(0.0, created.expires_in - self._skew)
            self._cache[key] = _Cached(created.restricted_data_token, self._clock() + lifetime)
            return created.restricted_data_token

    def invalidate(self, partner: SellingPartner, resources: Sequence[RestrictedResource]) -> None:
        key = (partner.cache_key, tuple(sorted(set(resources), key=lambda r: (r.method, r.path))))
        self._cache.pop(key, None)

    async def create(
        self, partner: SellingPartner, resources: Sequence[RestrictedResource]
    ) -> CreateRestrictedDataTokenResponse:
        """Call createRestrictedDataToken (uncached)."""
        body: dict[str, Any] = {"restrictedResources": [r.as_json() for r in resources]}
        if self._target_application:
            body["targetApplication"] = self._target_application
        response = await self._client.request(CREATE_RDT, partner, json=body)
        return CreateRestrictedDataTokenResponse.model_validate(response.json())
