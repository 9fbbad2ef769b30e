"""An SP-API sandbox (the HTTP fake) and clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr

from spapi import SellingPartner, SpApiClient, SpApiConfig
from spapi.sandbox import SandboxServer, SandboxState

CLIENT_ID = "amzn1.application-oa2-client.test"
CLIENT_SECRET = "client-secret-DO-NOT-LOG-3f9a"
SELLER_ID = "A3SELLERTEST1"
REFRESH_TOKEN = "Atzr|refresh-token-DO-NOT-LOG-77c1"
VENDOR_ID = "amzn1.vg.1234567"
VENDOR_REFRESH_TOKEN = "Atzr|vendor-refresh-DO-NOT-LOG-91d0"
SECRETS = (CLIENT_SECRET, REFRESH_TOKEN, VENDOR_REFRESH_TOKEN)


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


def make_config(server: SandboxServer, **overrides: object) -> SpApiConfig:
    values: dict[str, object] = {
        "lwa_client_id": CLIENT_ID,
        "lwa_client_secret": SecretStr(CLIENT_SECRET),
        "endpoint": server.url,
        "lwa_endpoint": server.lwa_url,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
    }
    values.update(overrides)
    return SpApiConfig.model_validate(values)


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[SpApiClient]:
    async with SpApiClient(make_config(sandbox)) as c:
        yield c
