"""The sellers table, and the directory resolving a notification's seller to credentials (both backends)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from spapi import SellingPartner
from spapi.regions import Region
from store.seller_directory import SellerDirectory, UnknownSeller
from store.sellers import add_seller, list_sellers, remove_seller, rotate_tokens, stored_refresh_token
from store.tables import SELLERS
from store.token_cipher import TokenCipher
from tests.fixtures.clock import FakeClock

SELLER = "A2SELLER0001"
VENDOR = "amzn1.vg.1234567"


async def _add(engine: AsyncEngine, cipher: TokenCipher, token: str) -> None:
    """SELLER in NA with no marketplaces, holding ``token``."""
    await add_seller(
        engine, cipher, seller_id=SELLER, region=Region.NA, marketplace_ids=[], refresh_token=SecretStr(token)
    )


async def test_add_list_update_remove(engine: AsyncEngine, key: str) -> None:
    cipher = TokenCipher(SecretStr(key))
    assert await add_seller(
        engine,
        cipher,
        seller_id=SELLER,
        region=Region.EU,
        marketplace_ids=["A1PA6795UKMFR9"],
        refresh_token=SecretStr("Atzr|one"),
    )
    assert await add_seller(
        engine,
        cipher,
        seller_id=VENDOR,
        region=Region.NA,
        marketplace_ids=[],
        refresh_token=SecretStr("Atzr|v"),
    )
    assert not await add_seller(
        engine,
        cipher,
        seller_id=SELLER,
        region=Region.EU,
        marketplace_ids=["A1PA6795UKMFR9", "A13V1IB3VIYZZH"],
        refresh_token=SecretStr("Atzr|two"),
    )
    sellers = {s.seller_id: s for s in await list_sellers(engine)}
    assert sellers[SELLER].marketplace_ids == ("A1PA6795UKMFR9", "A13V1IB3VIYZZH")
    assert sellers[SELLER].region is Region.EU
    assert sellers[SELLER].account_kind == "seller"
    assert sellers[VENDOR].account_kind == "vendor"
    assert sellers[SELLER].updated_at >= sellers[SELLER].created_at
    token = await stored_refresh_token(engine, cipher, SELLER)
    assert token is not None
    assert token.get_secret_value() == "Atzr|two"
    async with engine.connect() as connection:
        stored = await connection.scalar(
            select(SELLERS.c.refresh_token_encrypted).where(SELLERS.c.seller_id == SELLER)
        )
    assert isinstance(stored, str)
    assert "Atzr" not in stored

    assert await remove_seller(engine, SELLER)
    assert not await remove_seller(engine, SELLER)
    assert [s.seller_id for s in await list_sellers(engine)] == [VENDOR]


async def test_rotate_tokens_rewrites_every_row_with_the_new_key(engine: AsyncEngine, key: str) -> None:
    old = TokenCipher(SecretStr(key))
    await _add(engine, old, "Atzr|a")
    new_key = Fernet.generate_key().decode()
    assert await rotate_tokens(engine, TokenCipher(SecretStr(f"{new_key},{key}"))) == 1
    token = await stored_refresh_token(engine, TokenCipher(SecretStr(new_key)), SELLER)
    assert token is not None
    assert token.get_secret_value() == "Atzr|a"


async def test_the_directory_prefers_the_shortcut_then_the_table(engine: AsyncEngine, key: str) -> None:
    await add_seller(
        engine,
        TokenCipher(SecretStr(key)),
        seller_id=SELLER,
        region=Region.FE,
        marketplace_ids=["A1VC38T7YXB528"],
        refresh_token=SecretStr("Atzr|table"),
    )
    shortcut = SellingPartner("A9SHORTCUT", SecretStr("Atzr|settings"))
    directory = SellerDirectory(engine, SecretStr(key), shortcut=shortcut, shortcut_region=Region.NA)
    assert (await directory.credentials("A9SHORTCUT")).partner == shortcut
    found = await directory.credentials(SELLER)
    assert found.region is Region.FE
    assert found.marketplace_ids == ("A1VC38T7YXB528",)
    assert found.partner.refresh_token.get_secret_value() == "Atzr|table"
    assert "Atzr" not in repr(found)
    assert "Atzr" not in repr(directory)
    assert await directory.known_ids() == ["A9SHORTCUT", SELLER]
    with pytest.raises(UnknownSeller, match="sellers add A3NOBODY"):
        await directory.credentials("A3NOBODY")


async def test_the_directory_caches_for_its_ttl_then_sees_changes(engine: AsyncEngine, key: str) -> None:
    cipher = TokenCipher(SecretStr(key))
    clock = FakeClock(0.0)
    directory = SellerDirectory(engine, SecretStr(key), ttl=60, clock=clock)
    await _add(engine, cipher, "Atzr|1")
    assert (await directory.partner(SELLER)).refresh_token.get_secret_value() == "Atzr|1"
    await _add(engine, cipher, "Atzr|2")
    assert (await directory.partner(SELLER)).refresh_token.get_secret_value() == "Atzr|1"
    clock.now = 61
    assert (await directory.partner(SELLER)).refresh_token.get_secret_value() == "Atzr|2"
    await remove_seller(engine, SELLER)
    clock.now = 122
    with pytest.raises(UnknownSeller):
        await directory.partner(SELLER)
