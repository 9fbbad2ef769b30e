"""The change feed under load: a follower keeping up with the daemon writing 1,000 notifications.

N notifications (default 1,000) go through SQS on a moto server (its own process) into ``spapi-notify run``
(its own process, 4 pollers): half ANY_OFFER_CHANGED (kept in notification_events: one insert each), half
FBA_OUTBOUND_SHIPMENT_STATUS over 100 shipments (an insert, then updates; a late, older one writes nothing).
Meanwhile ``spapi-notify changes --since 0 --follow`` (its own process) prints the feed; this process reads
its lines as they come. Once the queue is drained and the follower has printed the newest change, the lines
are compared with the ``changes`` table: changes committed and delivered, duplicates, missing, out of
commit order, and the lag from a change's recording (in its writing transaction) to its line's arrival.
On PostgreSQL the follower is woken by LISTEN/NOTIFY; on SQLite it polls every 0.2 s.

Bar, per backend: 0 duplicates, 0 missing, 0 out of order, lag p95 < 1 s.

With --quick, 30 notifications on both backends; the bar is printed but not enforced (the exit status is 0
unless something fails), and PostgreSQL is the server at SPAPI_NOTIFY_TEST_POSTGRES_URL when that is set.

    .venv/bin/python -m bench.feed [--messages 1000] [--backends sqlite,postgresql] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any

import boto3  # type: ignore[import-untyped]
from sqlalchemy import func, select

from bench import bar_verdict, parse_args
from bench.consumer import (
    ROOT,
    _answers,
    _client_args,
    _drained,
    database,
    free_port,
    make_queues,
    moto_process,
    stop_daemon,
    wait_for,
)
from store.engine import create_engine
from store.migrate import upgrade
from store.tables import CHANGES
from tests.builders import example
from tests.fixtures.moto_server import aws_env
from tests.fixtures.postgres import EXTERNAL_URL_ENV

APP_ID = "amzn1.sellerapps.app.bench-feed"
FEED_AHEAD = 100  # moto slows down as a queue deepens: keep it shallow
SHIPMENTS = 100
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def notifications(total: int) -> list[str]:
    """Half kept events, half shipment statuses; each shipment's EventTimes rise in sending order."""
    bodies = []
    for index in range(total):
        if index % 2 == 0:
            notification = example("AnyOfferChangedNotification.json")
        else:
            notification = example("FBAOutboundShipmentStatusNotification.json")
            shipment = notification["Payload"]["FBAOutboundShipmentStatusNotification"]
            shipment["AmazonShipmentId"] = f"SHIP{index // 2 % SHIPMENTS:04d}"
            shipment["ShipmentStatus"] = ("Created", "Cancelled")[index // 2 // SHIPMENTS % 2]
            notification["EventTime"] = _iso(T0 + timedelta(seconds=index))
        metadata = notification["NotificationMetadata"]
        metadata["NotificationId"], metadata["ApplicationId"] = str(uuid.uuid4()), APP_ID
        bodies.append(json.dumps(notification))
    return bodies


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Feeder(threading.Thread):
    """Sends the bodies in batches of ten, pausing while the queue holds FEED_AHEAD or more."""

    def __init__(self, sqs: Any, queue_url: str, bodies: list[str]) -> None:
        super().__init__(daemon=True)
        self.sqs, self.queue_url, self.bodies = sqs, queue_url, bodies
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for start in range(0, len(self.bodies), 10):
                while True:
                    attributes = self.sqs.get_queue_attributes(
                        QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
                    )["Attributes"]
                    if int(attributes["ApproximateNumberOfMessages"]) < FEED_AHEAD:
                        break
                    time.sleep(0.01)
                entries = [
                    {"Id": str(i), "MessageBody": body}
                    for i, body in enumerate(self.bodies[start : start + 10])
                ]
                self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        except BaseException as exc:
            self.error = exc


@dataclass(eq=False)
class Reader(threading.Thread):
    """Reads the follower's JSON lines as they arrive: (cursor, lag in seconds) per line."""

    stream: IO[str]
    lines: list[tuple[int, float]] = field(default_factory=list)
    error: BaseException | None = None

    def __post_init__(self) -> None:
        super().__init__(daemon=True)

    def run(self) -> None:
        try:
            for line in self.stream:
                arrived = time.time()
                change = json.loads(line)
                recorded = datetime.fromisoformat(change["recorded_at"]).timestamp()
                self.lines.append((int(change["cursor"]), arrived - recorded))
        except BaseException as exc:
            self.error = exc

    @property
    def newest(self) -> int:
        return self.lines[-1][0] if self.lines else 0


@dataclass(frozen=True)
class Result:
    backend: str
    notifications: int
    committed: int
    delivered: int
    duplicates: int
    missing: int
    out_of_order: int
    lag_p50: float
    lag_p95: float
    lag_max: float

    @property
    def ok(self) -> bool:
        return self.duplicates == self.missing == self.out_of_order == 0 and self.lag_p95 < 1.0


async def migrate(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def committed_ids(database_url: str) -> list[int]:
    async def read() -> list[int]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                return list((await connection.execute(select(CHANGES.c.change_id))).scalars())
        finally:
            await engine.dispose()

    return asyncio.run(read())


def change_count(database_url: str) -> int:
    async def count() -> int:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                return int(await connection.scalar(select(func.count()).select_from(CHANGES)) or 0)
        finally:
            await engine.dispose()

    return asyncio.run(count())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def run(endpoint: str, backend: str, database_url: str, total: int, deadline: float) -> Result:
    sqs = boto3.client("sqs", **_client_args(endpoint))
    queue_url = make_queues(sqs)
    asyncio.run(migrate(database_url))  # in this process: one interpreter start fewer than the command
    env = {
        **aws_env(endpoint),
        "SPAPI_NOTIFY_DATABASE_URL": database_url,
        "SPAPI_NOTIFY_LOG_LEVEL": "warning",
    }
    port = free_port()
    daemon_env = {
        **env,
        "SPAPI_NOTIFY_QUEUE_URL": queue_url,
        "SPAPI_NOTIFY_APPLICATION_ID": APP_ID,
        "SPAPI_NOTIFY_POLLERS": "4",
        "SPAPI_NOTIFY_RECEIVE_WAIT_SECONDS": "1",
        "SPAPI_NOTIFY_METRICS_PORT": str(port),
        "SPAPI_NOTIFY_METRICS_HOST": "127.0.0.1",
    }
    follower = subprocess.Popen(
        [sys.executable, "-m", "consumer", "changes", "--since", "0", "--follow"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert follower.stdout is not None
    reader = Reader(follower.stdout)
    reader.start()
    daemon = subprocess.Popen(
        [sys.executable, "-m", "consumer", "run"], env=daemon_env, cwd=tempfile.gettempdir()
    )
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/readyz"), 60, "daemon ready")
        feeder = Feeder(sqs, queue_url, notifications(total))
        feeder.start()
        wait_for(lambda: _drained(sqs, queue_url) and not feeder.is_alive(), deadline, "processed", 0.1)
        if feeder.error is not None:
            raise SystemExit(f"feeder failed: {feeder.error!r}")
        committed = committed_ids(database_url)
        newest = max(committed, default=0)
        wait_for(lambda: reader.newest >= newest, 60, "the follower printing the newest change", 0.05)
    finally:
        stop_daemon(daemon)
        follower.terminate()
        follower.wait(10)
        reader.join(10)
    if reader.error is not None:
        raise SystemExit(f"reading the follower failed: {reader.error!r}")
    cursors = [cursor for cursor, _ in reader.lines]
    lags = [lag for _, lag in reader.lines]
    return Result(
        backend=backend,
        notifications=total,
        committed=len(committed),
        delivered=len(cursors),
        duplicates=len(cursors) - len(set(cursors)),
        missing=len(set(committed) - set(cursors)),
        out_of_order=sum(1 for before, after in itertools.pairwise(cursors) if after <= before),
        lag_p50=percentile(lags, 0.5),
        lag_p95=percentile(lags, 0.95),
        lag_max=max(lags, default=0.0),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parse_args(parser, messages=30)
    deadline = 60 if args.quick else 600
    external_postgres = os.environ.get(EXTERNAL_URL_ENV) if args.quick else None
    ok = True
    with moto_process() as endpoint:
        for backend in args.backends.split(","):
            with database(backend, external_postgres) as url:
                result = run(endpoint, backend, url, args.messages, deadline)
            ok = ok and result.ok
            print(
                f"{backend:>10}: {result.notifications} notifications, {result.committed} changes committed, "
                f"{result.delivered} delivered, {result.duplicates} duplicates, {result.missing} missing, "
                f"{result.out_of_order} out of order; lag p50 {result.lag_p50 * 1000:.0f} ms, "
                f"p95 {result.lag_p95 * 1000:.0f} ms, max {result.lag_max * 1000:.0f} ms"
            )
    print("bar (0 duplicates, 0 missing, 0 out of order, lag p95 < 1 s):", bar_verdict(ok, args.quick))
    raise SystemExit(0 if ok or args.quick else 1)


if __name__ == "__main__":
    main()
