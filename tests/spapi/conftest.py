"""An SP-API sandbox (the HTTP fake) and clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr

from spapi import SellingPartner, SpApiClient
from spapi.sandbox import SandboxServer, SandboxState
from tests.fixtures.spapi_config import (
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    SELLER_ID,
    VENDOR_ID,
    VENDOR_REFRESH_TOKEN,
    make_config,
)


@pytest.fixture
def sandbox_state() -> SandboxState:
    return SandboxState(
        clients={CLIENT_ID: CLIENT_SECRET},
        sellers={REFRESH_TOKEN: SELLER_ID, VENDOR_REFRESH_TOKEN: VENDOR_ID},
    )


@pytest.fixture
def sandbox(sandbox_state: SandboxState) -> Iterator[SandboxServer]:
    with SandboxServer(sandbox_state) as server:
        yield server


@pytest.fixture
def seller() -> SellingPartner:
    return SellingPartner(id=SELLER_ID, refresh_token=SecretStr(REFRESH_TOKEN))


@pytest.fixture
def vendor() -> SellingPartner:
    return SellingPartner(id=VENDOR_ID, refresh_token=SecretStr(VENDOR_REFRESH_TOKEN))


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[SpApiClient]:
    async with SpApiClient(make_config(sandbox)) as c:
        yield c
