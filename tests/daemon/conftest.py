"""Queues on the moto server, migrated databases on both backends, and daemons running against them."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aioboto3
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.app.wiring import open_daemon
from consumer.daemon.loop import Daemon
from consumer.settings import Settings
from store.engine import create_engine
from store.migrate import upgrade
from store.tables import NOTIFICATIONS
from tests.builders import APP_ID
from tests.daemon.plugin import TEST_EFFECTS, test_metadata
from tests.fixtures.moto_server import aws_env

T = TypeVar("T")
DEADLINE = 30.0
# One session for every helper: clients made from it share its parsed service models.
SESSION = aioboto3.Session()


@dataclass(frozen=True)
class Queues:
    url: str
    arn: str
    dlq_url: str
    dlq_arn: str
    max_receive_count: int


async def create_queues(visibility_timeout: int = 30, max_receive_count: int = 3) -> Queues:
    name = f"spapi-notify-{uuid.uuid4().hex[:12]}"
    async with SESSION.client("sqs") as sqs:
        dlq_url = (await sqs.create_queue(QueueName=f"{name}-dlq"))["QueueUrl"]
        dlq_arn = (await sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"]))[
            "Attributes"
        ]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})
        url = (
            await sqs.create_queue(
                QueueName=name,
                Attributes={"VisibilityTimeout": str(visibility_timeout), "RedrivePolicy": redrive},
            )
        )["QueueUrl"]
        arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"][
            "QueueArn"
        ]
    return Queues(url, arn, dlq_url, dlq_arn, max_receive_count)


@pytest.fixture
async def queues(moto_server: str) -> Queues:
    return await create_queues()


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    """A database on each backend, migrated, with the test plugin's effects table."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.begin() as connection:
            await connection.run_sync(test_metadata.create_all)
    finally:
        await engine.dispose()
    return database_url


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    created = create_engine(migrated_url)
    yield created
    await created.dispose()


def daemon_settings(queues: Queues, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "queue_url": queues.url,
        "database_url": database_url,
        "application_id": APP_ID,
        "plugins": "tests.daemon.plugin",
        "pollers": 2,
        "receive_wait_seconds": 1,
        "retry_backoff_base": 1.0,
        "retry_backoff_max": 2.0,
        "shutdown_grace": 5.0,
        "metrics_port": 0,
        "metrics_host": "127.0.0.1",
        "log_format": "console",
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Daemon]:
    """A daemon running in this event loop; stopped gracefully (and checked to stop) on exit."""
    async with open_daemon(settings) as daemon:
        task = asyncio.create_task(daemon.run())
        try:
            yield daemon
        finally:
            daemon.stop()
            await asyncio.wait_for(task, timeout=settings.shutdown_grace + 15)


async def send(queue_url: str, *bodies: str | dict[str, Any]) -> list[str]:
    ids = []
    async with SESSION.client("sqs") as sqs:
        for body in bodies:
            text = body if isinstance(body, str) else json.dumps(body)
            ids.append((await sqs.send_message(QueueUrl=queue_url, MessageBody=text))["MessageId"])
    return ids


async def drain(queue_url: str, *, visibility_timeout: int = 30) -> list[dict[str, Any]]:
    """Every message currently visible in the queue (received, so hidden for ``visibility_timeout``)."""
    found: list[dict[str, Any]] = []
    async with SESSION.client("sqs") as sqs:
        while True:
            response = await sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,
                VisibilityTimeout=visibility_timeout,
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
            )
            batch = response.get("Messages", [])
            if not batch:
                return found
            found.extend(dict(m) for m in batch)


async def queue_depth(queue_url: str) -> tuple[int, int]:
    """(visible, in flight) messages, as SQS approximates them."""
    async with SESSION.client("sqs") as sqs:
        attrs = (
            await sqs.get_queue_attributes(
                QueueUrl=queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )
        )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])


async def eventually(
    probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], deadline: float = DEADLINE, what: str = ""
) -> T:
    """Poll ``probe`` until ``accept`` holds, or fail after ``deadline`` seconds with the last value."""
    stop = time.monotonic() + deadline
    while True:
        value = await probe()
        if accept(value):
            return value
        if time.monotonic() > stop:
            raise AssertionError(
                f"not within {deadline}s{f' ({what})' if what else ''}: last value {value!r}"
            )
        await asyncio.sleep(0.05)


async def ledger(engine: AsyncEngine) -> dict[str, str]:
    """notification_id -> status."""
    async with engine.connect() as connection:
        rows = await connection.execute(select(NOTIFICATIONS.c.notification_id, NOTIFICATIONS.c.status))
        return {row.notification_id: row.status for row in rows}


async def effects(engine: AsyncEngine) -> dict[str, int]:
    """notification_id -> how many times the test handler's effect was applied."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(TEST_EFFECTS.c.notification_id, func.count()).group_by(TEST_EFFECTS.c.notification_id)
        )
        return {row[0]: row[1] for row in rows}


REPO = Path(__file__).resolve().parents[2]


def cli_env(moto_endpoint: str, **settings: str) -> dict[str, str]:
    """Environment of a ``spapi-notify`` subprocess: AWS on moto, tests importable, these settings."""
    env = aws_env(moto_endpoint)
    for name in [n for n in env if n.startswith("SPAPI_NOTIFY_") and n != "SPAPI_NOTIFY_TEST_POSTGRES_URL"]:
        del env[name]
    env["PYTHONPATH"] = str(REPO)
    env.update({f"SPAPI_NOTIFY_{key.upper()}": value for key, value in settings.items()})
    return env


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "consumer", *args]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
