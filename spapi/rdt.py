"""Restricted Data Tokens for operations that return buyer PII, cached.

An RDT replaces the LWA access token on a restricted call. It is cached per (selling partner, set of
restricted resources) until ``expiresIn`` minus a skew, with one creation in flight per key. The tokens are
created by a function handed in (the Tokens API group), so this module never calls back into the client.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from spapi.credentials import SellingPartner
from spapi.models.tokens import CreateRestrictedDataTokenResponse
from spapi.restricted import RestrictedResource

__all__ = ["CreateToken", "RestrictedDataTokens", "RestrictedResource"]

CreateToken = Callable[
    [SellingPartner, Sequence[RestrictedResource]], Awaitable[CreateRestrictedDataTokenResponse]
]
_Key = tuple[str, tuple[RestrictedResource, ...]]


@dataclass(frozen=True)
class _Cached:
    token: str = field(repr=False)
    expires_at: float


def _key(partner: SellingPartner, resources: Sequence[RestrictedResource]) -> _Key:
    return partner.cache_key, tuple(sorted(set(resources), key=lambda r: (r.method, r.path)))


class RestrictedDataTokens:
    """The cache of Restricted Data Tokens (see the module docstring)."""

    def __init__(
        self, create: CreateToken, *, skew: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._create = create
        self._skew = skew
        self._clock = clock
        self._cache: dict[_Key, _Cached] = {}
        self._locks: dict[_Key, asyncio.Lock] = {}

    def _valid(self, key: _Key) -> str | None:
        entry = self._cache.get(key)
        if entry is not None and self._clock() < entry.expires_at:
            return entry.token
        return None

    async def token(self, partner: SellingPartner, resources: Sequence[RestrictedResource]) -> str:
        key = _key(partner, resources)
        found = self._valid(key)
        if found is not None:
            return found
        async with self._locks.setdefault(key, asyncio.Lock()):
            found = self._valid(key)
            if found is not None:
                return found
            created = await self._create(partner, key[1])
            lifetime = max(0.0, created.expires_in - self._skew)
            self._cache[key] = _Cached(created.restricted_data_token, self._clock() + lifetime)
            return created.restricted_data_token

    def invalidate(self, partner: SellingPartner, resources: Sequence[RestrictedResource]) -> None:
        self._cache.pop(_key(partner, resources), None)
