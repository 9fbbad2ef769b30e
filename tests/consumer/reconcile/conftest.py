"""Reconciliation against the SP-API sandbox over HTTP, on both databases.

The sandbox's clock follows real time (its rate limits refill) and can jump ahead (a page token's 24 hours).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.settings import Settings
from spapi.sandbox import SandboxServer, SandboxState
from tests.fixtures.clock import FakeClock
from tests.fixtures.reconcile_world import reconcile_settings, sandbox_state


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
def settings(database_url: str, engine: AsyncEngine, sandbox: SandboxServer) -> Settings:
    """A command's settings on the sandbox and the migrated database of ``engine``."""
    return reconcile_settings(database_url, sandbox)
