"""A sandbox on a controllable clock, and plain httpx clients holding its tokens."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from spapi.sandbox import SandboxServer, SandboxState

CLIENT_ID = "amzn1.application-oa2-client.sandbox-tests"
CLIENT_SECRET = "sandbox-client-secret-1f0e"
SELLER_ID = "A1SANDBOXSELLER"
REFRESH_TOKEN = "Atzr|sandbox-refresh-9c2d"
VENDOR_ID = "amzn1.vg.7654321"
VENDOR_REFRESH_TOKEN = "Atzr|sandbox-vendor-refresh-44aa"
NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"


# Building a TLS context loads the CA bundle (tens of milliseconds); the sandbox is plain HTTP, so every
# client of the suite shares one.
TLS = ssl.create_default_context()


class FakeClock:
    """Stands in for time.monotonic so expiry and token-bucket tests never sleep."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


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


def seller_grant(refresh_token: str = REFRESH_TOKEN, **overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    form.update(overrides)
    return form


def grantless_grant(**overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "scope": NOTIFICATIONS_SCOPE,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    form.update(overrides)
    return form


@dataclass(frozen=True)
class Tokens:
    seller: str
    vendor: str
    grantless: str

    @staticmethod
    def auth(token: str) -> dict[str, str]:
        return {"x-amz-access-token": token}


def fetch_token(http: httpx.Client, server: SandboxServer, form: dict[str, str]) -> str:
    response = http.post(server.lwa_url, data=form)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token


@pytest.fixture
def tokens(http: httpx.Client, server: SandboxServer) -> Tokens:
    return Tokens(
        seller=fetch_token(http, server, seller_grant()),
        vendor=fetch_token(http, server, seller_grant(VENDOR_REFRESH_TOKEN)),
        grantless=fetch_token(http, server, grantless_grant()),
    )
