"""A migrated database (both backends) and a clean SPAPI_NOTIFY_* environment for seller tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine

from store.engine import create_engine
from store.migrate import upgrade
from tests.daemon.conftest import Queues, create_queues


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("SPAPI_NOTIFY_") and name != "SPAPI_NOTIFY_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)


@pytest.fixture
def key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    created = create_engine(database_url)
    await upgrade(created)
    try:
        yield created
    finally:
        await created.dispose()


@pytest.fixture
async def queues(moto_server: str) -> Queues:
    return await create_queues()
