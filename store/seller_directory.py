"""Whose credentials a call runs under: the single-seller shortcut from settings, else the sellers table.

Decrypted credentials are cached for a short while, so a burst of notifications for one seller costs one
database read; a seller added or re-authorised with ``spapi-notify sellers add`` is seen within the TTL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from spapi.credentials import SellingPartner
from spapi.regions import Region
from store.engine import read_only
from store.tables.sellers import SELLERS
from store.token_cipher import TokenCipher


class UnknownSeller(LookupError):
    """No credentials for this selling partner: it never authorised us, or was removed."""

    def __init__(self, seller_id: str) -> None:
        super().__init__(
            f"no credentials for selling partner {seller_id}: "
            f"add them with `spapi-notify sellers add {seller_id}`, then replay the dead-lettered messages"
        )
        self.seller_id = seller_id


@dataclass(frozen=True)
class SellerCredentials:
    """What a seller's calls run under: its refresh token (in ``partner``), region and marketplaces."""

    partner: SellingPartner = field(repr=False)
    region: Region
    marketplace_ids: tuple[str, ...] = ()

    @property
    def seller_id(self) -> str:
        return self.partner.id


class SellerDirectory:
    """Finds the credentials of a seller's calls, caching decrypted ones for ``ttl`` seconds."""

    def __init__(
        self,
        engine: AsyncEngine,
        encryption_key: SecretStr | None,
        *,
        shortcut: SellingPartner | None = None,
        shortcut_region: Region = Region.NA,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._encryption_key = encryption_key
        self._cipher: TokenCipher | None = None
        self._shortcut = (
            SellerCredentials(partner=shortcut, region=shortcut_region) if shortcut is not None else None
        )
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, SellerCredentials]] = {}

    def __repr__(self) -> str:
        return f"SellerDirectory(shortcut={self._shortcut.seller_id if self._shortcut else None!r})"

    def _decryptor(self) -> TokenCipher:
        if self._cipher is None:
            self._cipher = TokenCipher(self._encryption_key)
        return self._cipher

    async def credentials(self, seller_id: str) -> SellerCredentials:
        """The seller's credentials; UnknownSeller when we have none."""
        if self._shortcut is not None and self._shortcut.seller_id == seller_id:
            return self._shortcut
        cached = self._cache.get(seller_id)
        now = self._clock()
        if cached is not None and cached[0] > now:
            return cached[1]
        async with read_only(self._engine) as connection:
            row = (
                await connection.execute(
                    select(
                        SELLERS.c.region, SELLERS.c.marketplace_ids, SELLERS.c.refresh_token_encrypted
                    ).where(SELLERS.c.seller_id == seller_id)
                )
            ).first()
        if row is None:
            self._cache.pop(seller_id, None)
            raise UnknownSeller(seller_id)
        token = self._decryptor().decrypt(row.refresh_token_encrypted, owner=seller_id)
        found = SellerCredentials(
            partner=SellingPartner(id=seller_id, refresh_token=token),
            region=Region(row.region),
            marketplace_ids=tuple(row.marketplace_ids),
        )
        self._cache[seller_id] = (now + self._ttl, found)
        return found

    async def partner(self, seller_id: str) -> SellingPartner:
        return (await self.credentials(seller_id)).partner

    async def known_ids(self) -> list[str]:
        """Every seller we hold credentials for: the shortcut's and the table's."""
        async with read_only(self._engine) as connection:
            ids = list(
                (await connection.scalars(select(SELLERS.c.seller_id).order_by(SELLERS.c.seller_id))).all()
            )
        if self._shortcut is not None and self._shortcut.seller_id not in ids:
            ids.insert(0, self._shortcut.seller_id)
        return ids
