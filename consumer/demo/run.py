"""The demo, start to end: local AWS, the SP-API sandbox, SQLite; subscribe, publish, consume, report."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import aioboto3
from pydantic import SecretStr

from consumer.app.doctor import run_doctor
from consumer.app.wiring import open_daemon
from consumer.demo.local_aws import moto_server, pointed_at
from consumer.demo.local_queues import DemoQueues, provision
from consumer.demo.publish import publish
from consumer.demo.sandbox import CLIENT_ID, CLIENT_SECRET, SELLERS, demo_sandbox
from consumer.demo.stream import APPLICATION_ID, demo_stream
from consumer.demo.subscribe import DESIRED_STATE, desired_state, subscribe
from consumer.demo.summary import DemoSummary, summarise
from consumer.doctor.check import render
from consumer.settings import Settings, SettingsError
from spapi.regions import Region
from store.engine import create_engine
from store.migrate import upgrade
from store.sellers import add_seller
from store.token_cipher import TokenCipher

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient

DEADLINE = 120.0


@dataclass(frozen=True)
class DemoRun:
    """Where the demo ran (its directory and database) and what it did."""

    directory: Path
    database_url: str
    summary: DemoSummary


def _settings(directory: Path, queues: DemoQueues, sandbox_url: str, lwa_url: str, key: str) -> Settings:
    return Settings(
        queue_url=queues.url,
        dlq_url=queues.dlq_url,
        database_url=f"sqlite+aiosqlite:///{directory / 'spapi-notify.db'}",
        application_id=APPLICATION_ID,
        lwa_client_id=CLIENT_ID,
        lwa_client_secret=SecretStr(CLIENT_SECRET),
        endpoint=sandbox_url,
        lwa_endpoint=lwa_url,
        encryption_key=SecretStr(key),
        report_dir=str(directory / "reports"),
        pollers=2,
        receive_wait_seconds=1,
        metrics_port=None,
        log_level="warning",
        log_format="console",
    )


MARKER = ".spapi-notify-demo"


def _fresh_directory(directory: Path) -> None:
    """Empty the demo's own directory from an earlier run; refuse any other non-empty one (``--dir .``)."""
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).is_file():
            raise SettingsError(
                f"{directory} is not empty and was not made by the demo: choose another --dir "
                "(the demo empties its directory on each run)"
            )
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("made by `spapi-notify demo`: emptied on its next run\n")


async def run_demo(directory: Path, say: Callable[[str], None]) -> DemoRun:
    """Run the whole demo in ``directory`` (emptied first), reporting progress through ``say``."""
    _fresh_directory(directory)
    session = aioboto3.Session()
    deliveries = demo_stream()
    with moto_server() as endpoint, pointed_at(endpoint):
        say(f"AWS emulator (moto) on {endpoint}")
        async with AsyncExitStack() as stack:
            sandbox = await stack.enter_async_context(demo_sandbox())
            say(f"SP-API sandbox on {sandbox.url} (Amazon's official examples)")
            queues = await provision(session)
            say(f"queue {queues.url}")
            say(f"  dead-letter queue {queues.dlq_url}, EventBridge rule on bus {queues.bus}")

            settings = _settings(directory, queues, sandbox.url, sandbox.lwa_url, TokenCipher.generate_key())
            engine = create_engine(settings.database_url)
            stack.push_async_callback(engine.dispose)
            await upgrade(engine)
            cipher = TokenCipher(settings.encryption_key)
            for seller_id, token in SELLERS.items():
                await add_seller(
                    engine,
                    cipher,
                    seller_id=seller_id,
                    region=Region.NA,
                    marketplace_ids=["ATVPDKIKX0DER"],
                    refresh_token=SecretStr(token),
                )
            say(
                f"database {settings.database_url} migrated; {len(SELLERS)} sellers stored (tokens encrypted)"
            )

            for line in await subscribe(settings, engine, queues):
                say(line)

            await publish(session, queues, deliveries)
            say(f"published {len(deliveries)} messages:")
            for delivery in deliveries:
                say(f"  - {delivery.what}")

            async with open_daemon(settings) as daemon:
                say("daemon running ...")
                task = asyncio.create_task(daemon.run())
                try:
                    await _until_settled(session, queues, len(deliveries))
                finally:
                    daemon.stop()
                    await task
                summary = await summarise(engine, session, queues, daemon.metrics)

            # The delivery check, read-only, as an operator runs it: `spapi-notify doctor --config FILE`.
            checks = await run_doctor(
                settings, desired=desired_state(settings, queues), desired_path=DESIRED_STATE, session=session
            )
            say("spapi-notify doctor (the delivery check) against the local queue and the sandbox:")
            for line in render(checks):
                say(f"  {line}")
    return DemoRun(directory=directory, database_url=settings.database_url, summary=summary)


async def _depth(sqs: SQSClient, url: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue."""
    response = await sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )
    attributes = response["Attributes"]
    return (
        int(attributes.get("ApproximateNumberOfMessages", "0")),
        int(attributes.get("ApproximateNumberOfMessagesNotVisible", "0")),
    )


async def _until_settled(session: aioboto3.Session, queues: DemoQueues, expected: int) -> None:
    """Wait until the queue is empty, nothing is in flight, and the malformed message is in the DLQ."""
    deadline = time.monotonic() + DEADLINE
    async with session.client("sqs") as sqs:
        while True:
            if await _depth(sqs, queues.url) == (0, 0) and (await _depth(sqs, queues.dlq_url))[0] >= 1:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the demo's {expected} messages were not all processed in {DEADLINE:.0f}s"
                )
            await asyncio.sleep(0.2)  # poll interval
