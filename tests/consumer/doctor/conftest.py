"""The doctor's tests: a sandbox with stateful Notifications, a migrated database with sellers, and a right
queue on the moto server that Amazon holds a destination for."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from spapi.sandbox import SandboxServer, SandboxState
from tests.fixtures.doctor_world import DoctorWorld, make_queue
from tests.fixtures.spapi_config import CLIENT_ID, CLIENT_SECRET


@pytest.fixture
async def world(
    moto_server: str, engine: AsyncEngine, database_url: str, key: str, tmp_path: Path
) -> AsyncIterator[DoctorWorld]:
    state = SandboxState(clients={CLIENT_ID: CLIENT_SECRET}, sellers={})
    state.notifications.strict = True
    queue = await make_queue()
    with SandboxServer(state) as server:
        made = DoctorWorld(state, server, engine, database_url, key, tmp_path, queue)
        made.destination_id = state.notifications.add_destination("main", sqs_arn=queue.arn)["destinationId"]
        yield made
