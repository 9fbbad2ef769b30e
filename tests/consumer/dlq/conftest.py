"""An SQS client on the moto server for the DLQ tests (their queues come from tests.fixtures.queues)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.fixtures.queues import SESSION


@pytest.fixture
async def sqs(moto_server: str) -> AsyncIterator[Any]:
    async with SESSION.client("sqs") as client:
        yield client
