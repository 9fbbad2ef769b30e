"""The handlers through the real loop: moto's SQS (and S3), both databases, the SP-API sandbox over HTTP.

The sandbox's clock follows real time, so its rate limits refill while a daemon works, and a test can still
jump it ahead (to make a document URL outlive its lifetime).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.settings import Settings
from spapi.regions import Region
from spapi.sandbox import SandboxServer, SandboxState
from store.sellers import add_seller
from store.token_cipher import TokenCipher
from tests.fixtures.clock import FakeClock
from tests.fixtures.handler_world import (
    LISTING_MARKETPLACE,
    LISTING_SELLER,
    LISTING_SELLER_TOKEN,
    VENDOR_ID,
    VENDOR_TOKEN,
    handler_settings,
    sandbox_state,
)
from tests.fixtures.queues import Queues


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(ticking=time.monotonic)


@pytest.fixture
def state(clock: FakeClock) -> SandboxState:
    return sandbox_state(clock)


@pytest.fixture
def sandbox(state: SandboxState) -> Iterator[SandboxServer]:
    with SandboxServer(state) as server:
        yield server


@pytest.fixture
def report_dir(tmp_path: Path) -> Path:
    return tmp_path / "reports"


@pytest.fixture
async def settings(
    queues: Queues,
    migrated_url: str,
    engine: AsyncEngine,
    sandbox: SandboxServer,
    key: str,
    report_dir: Path,
) -> Settings:
    """A daemon's settings on the sandbox; the listing seller and the vendor added to the sellers table."""
    cipher = TokenCipher(SecretStr(key))
    for seller_id, marketplace_ids, token in (
        (LISTING_SELLER, [LISTING_MARKETPLACE], LISTING_SELLER_TOKEN),
        (VENDOR_ID, [], VENDOR_TOKEN),
    ):
        await add_seller(
            engine,
            cipher,
            seller_id=seller_id,
            region=Region.NA,
            marketplace_ids=marketplace_ids,
            refresh_token=SecretStr(token),
        )
    return handler_settings(queues, migrated_url, sandbox, key, report_dir=str(report_dir))
