"""A sandbox on the fake clock (``clock``), and plain httpx clients holding its tokens."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from spapi.sandbox import SandboxServer, SandboxState
from tests.fixtures.clock import FakeClock
from tests.fixtures.sandbox_http import (
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    SELLER_ID,
    TLS,
    VENDOR_ID,
    VENDOR_REFRESH_TOKEN,
    Tokens,
    fetch_token,
    grantless_grant,
    seller_grant,
)


@pytest.fixture
def state(clock: FakeClock) -> SandboxState:
    return SandboxState(
        clients={CLIENT_ID: CLIENT_SECRET},
        sellers={REFRESH_TOKEN: SELLER_ID, VENDOR_REFRESH_TOKEN: VENDOR_ID},
        clock=clock,
    )


@pytest.fixture
def server(state: SandboxState) -> Iterator[SandboxServer]:
    with SandboxServer(state) as running:
        yield running


@pytest.fixture
def http(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5.0, verify=TLS) as client:
        yield client


@pytest.fixture
def tokens(http: httpx.Client, server: SandboxServer) -> Tokens:
    return Tokens(
        seller=fetch_token(http, server, seller_grant()),
        vendor=fetch_token(http, server, seller_grant(VENDOR_REFRESH_TOKEN)),
        grantless=fetch_token(http, server, grantless_grant()),
    )
