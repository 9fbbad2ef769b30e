"""Seller tests: a Fernet key, and queues on the moto server for the daemon start-up checks."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from tests.daemon.conftest import Queues, create_queues


@pytest.fixture
def key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
async def queues(moto_server: str) -> Queues:
    return await create_queues()
