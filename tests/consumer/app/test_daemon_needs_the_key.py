"""The daemon refuses to start when stored tokens exist but SPAPI_NOTIFY_ENCRYPTION_KEY cannot read them."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.app.wiring import open_daemon
from consumer.settings import SettingsError
from spapi.regions import Region
from store.sellers import add_seller
from store.token_cipher import EncryptionKeyError, TokenCipher
from tests.fixtures.daemons import daemon_settings
from tests.fixtures.queues import Queues


async def test_sellers_without_a_key_stop_the_daemon_before_any_message(
    engine: AsyncEngine, database_url: str, key: str, queues: Queues
) -> None:
    await add_seller(
        engine,
        TokenCipher(SecretStr(key)),
        seller_id="A2S",
        region=Region.NA,
        marketplace_ids=[],
        refresh_token=SecretStr("Atzr|x"),
    )
    with pytest.raises(EncryptionKeyError, match="SPAPI_NOTIFY_ENCRYPTION_KEY is not set"):
        async with open_daemon(daemon_settings(queues, database_url)):
            pass
    async with open_daemon(daemon_settings(queues, database_url, encryption_key=key)):
        pass


async def test_a_half_configured_single_seller_shortcut_is_refused(
    database_url: str, engine: AsyncEngine, queues: Queues
) -> None:
    with pytest.raises(SettingsError, match="go together"):
        async with open_daemon(daemon_settings(queues, database_url, seller_id="A2S")):
            pass
