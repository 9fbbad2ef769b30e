"""The shared fixtures work for real: both database backends, the PostgreSQL cluster, moto over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from typing import Any

import aioboto3
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.fixtures.moto_server import aws_env
from tests.fixtures.postgres import PostgresServer, temporary_database

DEADLINE = 10.0


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# --- databases ------------------------------------------------------------------------------------


async def test_database_url_runs_sql_and_ddl(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
            await conn.execute(text("CREATE TABLE smoke (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
            await conn.execute(text("INSERT INTO smoke (id, body) VALUES (1, 'héllo')"))
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT body FROM smoke WHERE id = 1"))).scalar_one() == "héllo"
    finally:
        await engine.dispose()
    assert database_url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite:///"))


_seen_databases: set[str] = set()


@pytest.mark.parametrize("run", [1, 2])
async def test_postgres_url_databases_are_fresh_and_distinct(postgres_url: str, run: int) -> None:
    engine = create_async_engine(postgres_url)
    try:
        async with engine.begin() as conn:
            name = (await conn.execute(text("SELECT current_database()"))).scalar_one()
            tables = await conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
            assert tables.scalar_one() == 0, "a fresh database has no tables"
            await conn.execute(text("CREATE TABLE isolation_probe (run INTEGER)"))
            await conn.execute(text("INSERT INTO isolation_probe VALUES (:run)"), {"run": run})
    finally:
        await engine.dispose()
    assert name not in _seen_databases
    _seen_databases.add(name)


async def _database_names(server: PostgresServer) -> set[str]:
    engine = create_async_engine(server.url(server.admin_database), poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return set((await conn.execute(text("SELECT datname FROM pg_database"))).scalars())
    finally:
        await engine.dispose()


async def test_temporary_database_is_dropped_even_while_connected(postgres_server: PostgresServer) -> None:
    leaked = create_async_engine(postgres_server.url("unused"), poolclass=NullPool)
    try:
        # temporary_database blocks (it runs its own loop in a helper thread): fine for a test.
        with temporary_database(postgres_server) as name:
            assert name in await _database_names(postgres_server)
            # A connection a test leaves open must not prevent the drop (DROP DATABASE ... WITH (FORCE)).
            leaked = create_async_engine(postgres_server.url(name), poolclass=NullPool)
            conn = await leaked.connect()
            assert (await conn.execute(text("SELECT current_database()"))).scalar_one() == name
        assert name not in await _database_names(postgres_server)
        with pytest.raises(DBAPIError):
            await conn.execute(text("SELECT 1"))
        await conn.invalidate()
    finally:
        await leaked.dispose()
    if postgres_server.data_dir is not None:  # our throwaway cluster, not an external server
        assert postgres_server.url("x") == f"postgresql+asyncpg://postgres@127.0.0.1:{postgres_server.port}/x"
        assert postgres_server.admin_dsn == f"postgresql://postgres@127.0.0.1:{postgres_server.port}/postgres"


# --- moto -----------------------------------------------------------------------------------------


async def _receive(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """ReceiveMessage (WaitTimeSeconds=0) until something arrives or the deadline passes."""
    deadline = time.monotonic() + DEADLINE
    while True:
        response = await sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0, MaxNumberOfMessages=10)
        messages: list[dict[str, Any]] = response.get("Messages", [])
        if messages or time.monotonic() >= deadline:
            return messages
        await asyncio.sleep(0.05)  # poll interval


async def test_sqs_round_trip_over_http(moto_server: str) -> None:
    assert os.environ["AWS_ENDPOINT_URL"] == moto_server
    async with aioboto3.Session().client("sqs") as sqs:
        assert sqs.meta.endpoint_url == moto_server
        queue_url = (await sqs.create_queue(QueueName=unique("smoke")))["QueueUrl"]
        await sqs.send_message(QueueUrl=queue_url, MessageBody='{"hello": "sqs"}')
        messages = await _receive(sqs, queue_url)
        assert [json.loads(message["Body"]) for message in messages] == [{"hello": "sqs"}]
        await sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])
        assert (await sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)).get("Messages", []) == []


async def test_eventbridge_rule_delivers_to_sqs(moto_server: str) -> None:
    session = aioboto3.Session()
    source = unique("spapi-notify.smoke")
    async with session.client("sqs") as sqs, session.client("events") as events:
        queue_url = (await sqs.create_queue(QueueName=unique("events")))["QueueUrl"]
        attributes = await sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        rule = unique("smoke-rule")
        await events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
        targets = await events.put_targets(
            Rule=rule, Targets=[{"Id": "queue", "Arn": attributes["Attributes"]["QueueArn"]}]
        )
        assert targets["FailedEntryCount"] == 0
        detail = {"NotificationType": "ANY_OFFER_CHANGED", "n": 1}
        put = await events.put_events(
            Entries=[
                {"Source": "someone.else", "DetailType": "Ignored", "Detail": "{}"},
                {"Source": source, "DetailType": "Smoke", "Detail": json.dumps(detail)},
            ]
        )
        assert put["FailedEntryCount"] == 0
        messages = await _receive(sqs, queue_url)
        assert len(messages) == 1, "only the event matching the rule is delivered"
        event = json.loads(messages[0]["Body"])
        assert (event["source"], event["detail-type"], event["detail"]) == (source, "Smoke", detail)


async def test_subprocesses_reach_moto_through_aws_env(moto_server: str) -> None:
    name = unique("subprocess")
    async with aioboto3.Session().client("sqs") as sqs:
        await sqs.create_queue(QueueName=name)
    script = "import sys, boto3; print(boto3.client('sqs').get_queue_url(QueueName=sys.argv[1])['QueueUrl'])"
    env = aws_env(moto_server, base={"PATH": os.environ.get("PATH", ""), "AWS_PROFILE": "prod"})
    assert "AWS_PROFILE" not in env
    proc = subprocess.run(
        [sys.executable, "-c", script, name], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith(f"/{name}")


async def test_moto_reset_starts_empty(moto_reset: str) -> None:
    async with aioboto3.Session().client("sqs") as sqs:
        assert (await sqs.list_queues()).get("QueueUrls", []) == []
