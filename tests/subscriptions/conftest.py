"""The SP-API sandbox with stateful Notifications, sellers in a migrated database, and runs of the manager."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
import structlog
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from spapi import SpApiClient
from spapi.regions import Region
from spapi.sandbox import SandboxServer, SandboxState
from store.seller_directory import SellerDirectory
from store.sellers import add_seller
from store.token_cipher import TokenCipher
from subscriptions.config import DesiredConfig, parse_config
from subscriptions.manager import ApplyResult, Plan, SubscriptionManager
from tests.sandbox.conftest import FakeClock
from tests.spapi.conftest import CLIENT_ID, CLIENT_SECRET, make_config

__all__ = ["FakeClock"]  # the sandbox tests' clock, for this directory's tests too

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:spapi-notify"
OTHER_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:spapi-notify-other"


def seller_id(index: int) -> str:
    return f"A{index:04d}SUBSELLER"


def refresh_token(index: int) -> str:
    return f"Atzr|subscriptions-refresh-{index:04d}"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI configures logging onto CliRunner's streams, which close when the command returns: put the
    previous configuration back so later tests do not log into closed files."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    yield
    structlog.reset_defaults()
    root.handlers[:], level = saved
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox_state(clock: FakeClock) -> SandboxState:
    state = SandboxState(clients={CLIENT_ID: CLIENT_SECRET}, sellers={}, clock=clock)
    state.notifications.strict = True
    return state


@pytest.fixture
def sandbox(sandbox_state: SandboxState) -> Iterator[SandboxServer]:
    with SandboxServer(sandbox_state) as server:
        yield server


@pytest.fixture
def key() -> str:
    return Fernet.generate_key().decode()


@dataclass
class World:
    state: SandboxState
    server: SandboxServer
    engine: AsyncEngine
    key: str
    clock: FakeClock

    async def add_sellers(self, count: int, start: int = 0, region: Region = Region.NA) -> list[str]:
        cipher = TokenCipher(SecretStr(self.key))
        ids = []
        for index in range(start, start + count):
            self.state.add_seller(refresh_token(index), seller_id(index))
            await add_seller(
                self.engine,
                cipher,
                seller_id=seller_id(index),
                region=region,
                marketplace_ids=[],
                refresh_token=SecretStr(refresh_token(index)),
            )
            ids.append(seller_id(index))
        return ids

    def directory(self) -> SellerDirectory:
        return SellerDirectory(self.engine, SecretStr(self.key))

    def later(self) -> None:
        """Let Amazon's token buckets refill, as between two runs of the command."""
        self.clock.advance(60)


@pytest.fixture
def world(
    sandbox_state: SandboxState, sandbox: SandboxServer, engine: AsyncEngine, key: str, clock: FakeClock
) -> World:
    return World(sandbox_state, sandbox, engine, key, clock)


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[SpApiClient]:
    async with SpApiClient(make_config(sandbox)) as made:
        yield made


class Runs:
    """plan and apply as separate command runs: each with a client of its own, as each CLI process has."""

    def __init__(self, world: World, client: SpApiClient) -> None:
        self._world = world
        self._client = client

    @property
    def client(self) -> SpApiClient:
        """A client for the test's own calls."""
        return self._client

    async def plan(self, config: DesiredConfig, **flags: bool) -> Plan:
        async with SpApiClient(make_config(self._world.server)) as client:
            return await self._manager(client).plan(config, **flags)

    async def apply(self, config: DesiredConfig, **flags: bool) -> ApplyResult:
        async with SpApiClient(make_config(self._world.server)) as client:
            return await self._manager(client).apply(config, **flags)

    def _manager(self, client: SpApiClient) -> SubscriptionManager:
        return SubscriptionManager(client, self._world.directory(), self._world.engine, region=Region.NA)


@pytest.fixture
def manager(client: SpApiClient, world: World) -> Runs:
    return Runs(world, client)


def desired(
    *types: tuple[str, str],
    sellers: str | list[str] = "all",
    arn: str = QUEUE_ARN,
    extra: dict[str, object] | None = None,
) -> DesiredConfig:
    data: dict[str, object] = {
        "destinations": {"main": {"sqs_arn": arn}},
        "subscriptions": [
            {
                "sellers": sellers,
                "destination": "main",
                "types": [{"type": t, "payload_version": v} for t, v in types],
            }
        ],
    }
    data.update(extra or {})
    return parse_config(data)
