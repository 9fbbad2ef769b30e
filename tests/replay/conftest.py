"""A source queue and its DLQ on the moto server, filled the way the daemon (or SQS's redrive) fills it."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from consumer.cli.main import app
from consumer.intake.dead_letter import dead_letter_attributes
from consumer.intake.message import SqsMessage
from consumer.intake.queue import Queue
from handlers.errors import Reason
from tests.daemon.conftest import SESSION, Queues, create_queues, drain

SEND_CONCURRENCY = 20


@pytest.fixture
async def queues(moto_server: str) -> Queues:
    return await create_queues()


@pytest.fixture
async def sqs(moto_server: str) -> AsyncIterator[Any]:
    async with SESSION.client("sqs") as client:
        yield client


def body_of(message: str | dict[str, Any]) -> str:
    return message if isinstance(message, str) else json.dumps(message)


def dead_lettered(
    queues: Queues,
    body: str | dict[str, Any],
    reason: Reason,
    *,
    error: str = "it failed",
    at: datetime | None = None,
    receive_count: int = 1,
    own_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A SendMessageBatch entry (without Id) carrying what the daemon sets when it dead-letters a message."""
    original = SqsMessage(
        message_id=f"source-{os.urandom(6).hex()}",
        receipt_handle="unused",
        body=body_of(body),
        receive_count=receive_count,
        sent_at=None,
        message_attributes=own_attributes or {},
    )
    attributes = dead_letter_attributes(original, reason, error, queues.arn, at or datetime.now(UTC))
    return {"MessageBody": original.body, "MessageAttributes": attributes}


def redriven(body: str | dict[str, Any]) -> dict[str, Any]:
    """An entry as SQS's redrive leaves a message: the body and none of our attributes."""
    return {"MessageBody": body_of(body)}


async def send_entries(sqs: Any, queue_url: str, entries: Sequence[dict[str, Any]]) -> list[str]:
    """SendMessageBatch in batches of ten, several at once; returns the message ids in entry order."""
    gate = asyncio.Semaphore(SEND_CONCURRENCY)

    async def batch(start: int) -> list[str]:
        chunk = [{"Id": str(i), **entry} for i, entry in enumerate(entries[start : start + 10])]
        async with gate:
            response = await sqs.send_message_batch(QueueUrl=queue_url, Entries=chunk)
        assert not response.get("Failed"), response.get("Failed")
        by_id = {item["Id"]: item["MessageId"] for item in response["Successful"]}
        return [by_id[str(i)] for i in range(len(chunk))]

    chunks = await asyncio.gather(*(batch(start) for start in range(0, len(entries), 10)))
    return [message_id for chunk in chunks for message_id in chunk]


async def bodies_in(queue_url: str) -> list[str]:
    return [message["Body"] for message in await drain(queue_url, visibility_timeout=60)]


def dlq_queue(sqs: Any, queues: Queues) -> Queue:
    return Queue(sqs, queues.dlq_url)


async def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    """``spapi-notify ARGS`` through CliRunner, in a thread: the command runs its own event loop."""
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, app, list(args), env=env)


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]
