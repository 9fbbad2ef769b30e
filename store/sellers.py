"""The sellers table: add, list, remove, rotate, and read one seller's credentials."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from spapi.regions import Region
from store.engine import read_only
from store.tables.sellers import SELLERS
from store.token_cipher import TokenCipher
from store.upsert import insert

VENDOR_PREFIX = "amzn1.vg."


def account_kind(selling_partner_id: str) -> str:
    """``vendor`` for a vendor account id (amzn1.vg.*), else ``seller``."""
    return "vendor" if selling_partner_id.startswith(VENDOR_PREFIX) else "seller"


@dataclass(frozen=True)
class Seller:
    """A row of the sellers table, without its token."""

    seller_id: str
    account_kind: str
    region: Region
    marketplace_ids: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


async def add_seller(
    engine: AsyncEngine,
    cipher: TokenCipher,
    *,
    seller_id: str,
    region: Region,
    marketplace_ids: Sequence[str],
    refresh_token: SecretStr,
) -> bool:
    """Insert the seller, or replace its region, marketplaces and token. True when it was new."""
    now = datetime.now(UTC)
    values = {
        "account_kind": account_kind(seller_id),
        "region": region.value,
        "marketplace_ids": list(marketplace_ids),
        "refresh_token_encrypted": cipher.encrypt(refresh_token),
        "updated_at": now,
    }
    async with engine.begin() as connection:
        existed = await connection.scalar(select(SELLERS.c.seller_id).where(SELLERS.c.seller_id == seller_id))
        statement = insert(connection, SELLERS).values(seller_id=seller_id, created_at=now, **values)
        await connection.execute(
            statement.on_conflict_do_update(index_elements=[SELLERS.c.seller_id], set_=values)
        )
    return existed is None


async def list_sellers(engine: AsyncEngine) -> list[Seller]:
    """Every stored seller, by id, without tokens."""
    columns = [c for c in SELLERS.c if c.name != "refresh_token_encrypted"]
    async with read_only(engine) as connection:
        rows = (await connection.execute(select(*columns).order_by(SELLERS.c.seller_id))).all()
    return [
        Seller(
            seller_id=row.seller_id,
            account_kind=row.account_kind,
            region=Region(row.region),
            marketplace_ids=tuple(row.marketplace_ids),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


async def remove_seller(engine: AsyncEngine, seller_id: str) -> bool:
    """Delete the seller; False when there was none."""
    async with engine.begin() as connection:
        result = await connection.execute(delete(SELLERS).where(SELLERS.c.seller_id == seller_id))
    return bool(result.rowcount)


async def stored_refresh_token(engine: AsyncEngine, cipher: TokenCipher, seller_id: str) -> SecretStr | None:
    """The seller's decrypted refresh token; None when the seller is not stored."""
    async with read_only(engine) as connection:
        encrypted = await connection.scalar(
            select(SELLERS.c.refresh_token_encrypted).where(SELLERS.c.seller_id == seller_id)
        )
    return None if encrypted is None else cipher.decrypt(encrypted, owner=seller_id)


async def has_sellers(engine: AsyncEngine) -> bool:
    """Whether the sellers table holds at least one seller."""
    async with read_only(engine) as connection:
        return await connection.scalar(select(SELLERS.c.seller_id).limit(1)) is not None


async def rotate_tokens(engine: AsyncEngine, cipher: TokenCipher) -> int:
    """Re-encrypt every stored token with the newest key; the number of tokens rewritten."""
    async with engine.begin() as connection:
        rows = (
            await connection.execute(select(SELLERS.c.seller_id, SELLERS.c.refresh_token_encrypted))
        ).all()
        for row in rows:
            await connection.execute(
                update(SELLERS)
                .where(SELLERS.c.seller_id == row.seller_id)
                .values(
                    refresh_token_encrypted=cipher.rotate(row.refresh_token_encrypted, owner=row.seller_id)
                )
            )
    return len(rows)
