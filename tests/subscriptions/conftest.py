"""The SP-API sandbox with stateful Notifications on the fake clock, sellers in a migrated database, and runs
of the manager."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from spapi import SpApiClient
from spapi.sandbox import SandboxServer, SandboxState
from tests.fixtures.clock import FakeClock
from tests.fixtures.spapi_config import CLIENT_ID, CLIENT_SECRET, make_config
from tests.fixtures.subscription_world import Runs, World


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
def sandbox_state(clock: FakeClock) -> SandboxState:
    state = SandboxState(clients={CLIENT_ID: CLIENT_SECRET}, sellers={}, clock=clock)
    state.notifications.strict = True
    return state


@pytest.fixture
def sandbox(sandbox_state: SandboxState) -> Iterator[SandboxServer]:
    with SandboxServer(sandbox_state) as server:
        yield server


@pytest.fixture
def world(
    sandbox_state: SandboxState, sandbox: SandboxServer, engine: AsyncEngine, key: str, clock: FakeClock
) -> World:
    return World(sandbox_state, sandbox, engine, key, clock)


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[SpApiClient]:
    async with SpApiClient(make_config(sandbox)) as made:
        yield made


@pytest.fixture
def manager(client: SpApiClient, world: World) -> Runs:
    return Runs(world, client)
