"""PostgreSQL stopped under a backlog: nothing dead-lettered, nothing lost, no receive spent while it is down.

N notifications (default 750) wait in an SQS queue (a moto server process; the queue as the infra template
makes it: VisibilityTimeout 30, maxReceiveCount 5). ``spapi-notify run`` (its own process, default settings;
a handler that takes 200 ms per notification and records its effect) works through them; once a tenth are
done, its PostgreSQL (a private throwaway cluster) is stopped with ``pg_ctl stop -m fast`` for the outage
(default 150 s), then started again. Printed: ReceiveMessage calls while the database was down (all of them,
and those after the daemon paused) against the pollers x the backoff steps (probes) it took, seconds from
the database's return to the daemon resuming and to the queue being drained, and at the end the
notifications dead-lettered, lost and applied more than once.
Bar: 0 dead-lettered, 0 lost, 0 applied twice, receives during the outage <= pollers x backoff steps.

With --quick, 120 notifications (500 ms each), a 4 s outage, 1 s long polls and released messages back after
1 s: the bar is printed but not enforced (exit 0 unless a notification is lost or a process fails).

    .venv/bin/python -m bench.outage [--messages 750] [--outage 150] [--handler-seconds 0.2] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bench import bar_verdict, parse_args
from bench.consumer import free_port, moto_process, wait_for
from store.engine import create_engine
from store.migrate import upgrade
from store.tables import NOTIFICATIONS
from tests.builders import APP_ID, steered
from tests.fixtures.moto_server import aws_env
from tests.fixtures.postgres import (
    PostgresServer,
    create_database,
    restart_cluster,
    server_bindir,
    stop_cluster,
    throwaway_cluster,
)
from tests.fixtures.steered_plugin import PLUGIN, TEST_EFFECTS, test_metadata

POLLERS = 2  # the default of SPAPI_NOTIFY_POLLERS
MAX_RECEIVE_COUNT = 5  # infra/cloudformation/spapi-notify.yaml's default
PAUSED = 'spapi_notify_receiving_paused{dependency="database"}'
RECEIVES = "spapi_notify_receive_calls_total"
RELEASED = 'spapi_notify_outage_releases_total{dependency="database"}'
FAILED = 'spapi_notify_failures_total{reason="database"}'
PROCESSED = "spapi_notify_notifications_processed_total"
ROOT = Path(__file__).resolve().parent.parent


def metrics(port: int) -> dict[str, float]:
    """The daemon's /metrics as {'name{labels}': value} ({} when it does not answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return {}
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


def events(log: Path, name: str) -> list[dict[str, Any]]:
    """The daemon's JSON log lines of one event."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and f'"{name}"' in line:
            record = json.loads(line)
            if record.get("event") == name:
                found.append(record)
    return found


def make_queues(sqs: Any) -> tuple[str, str]:
    name = f"outage-{uuid.uuid4().hex[:8]}"
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT})
    url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": "30"})
    return str(url["QueueUrl"]), str(dlq)


def depth(sqs: Any, queue_url: str) -> int:
    """Visible plus in-flight messages."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


async def prepare(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with engine.begin() as connection:
            await connection.run_sync(test_metadata.create_all)
    finally:
        await engine.dispose()


async def tally(url: str) -> tuple[int, int, int]:
    """(processed ledger rows, notifications with an effect, notifications with more than one)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            processed = await connection.scalar(
                select(func.count()).select_from(NOTIFICATIONS).where(NOTIFICATIONS.c.status == "processed")
            )
            per_id = (
                select(TEST_EFFECTS.c.notification_id, func.count().label("n"))
                .group_by(TEST_EFFECTS.c.notification_id)
                .subquery()
            )
            applied = await connection.scalar(select(func.count()).select_from(per_id))
            twice = await connection.scalar(select(func.count()).select_from(per_id).where(per_id.c.n > 1))
    finally:
        await engine.dispose()
    return int(processed or 0), int(applied or 0), int(twice or 0)


def send_backlog(sqs: Any, queue_url: str, count: int, handler_seconds: float) -> None:
    bodies = [json.dumps(steered(sleep=handler_seconds)) for _ in range(count)]
    for start in range(0, count, 10):
        chunk = bodies[start : start + 10]
        sqs.send_message_batch(
            QueueUrl=queue_url, Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)]
        )


def start_daemon(
    endpoint: str, queue_url: str, database_url: str, port: int, log: Path, overrides: dict[str, int | None]
) -> subprocess.Popen[bytes]:
    """``spapi-notify run`` with the default settings, but for where it reads, writes and reports (and the
    ``overrides`` that are not None: a quick run's)."""
    env = {
        **aws_env(endpoint),
        "SPAPI_NOTIFY_QUEUE_URL": queue_url,
        "SPAPI_NOTIFY_DATABASE_URL": database_url,
        "SPAPI_NOTIFY_APPLICATION_ID": APP_ID,
        "SPAPI_NOTIFY_PLUGINS": PLUGIN,
        "SPAPI_NOTIFY_METRICS_PORT": str(port),
        "SPAPI_NOTIFY_METRICS_HOST": "127.0.0.1",
        "SPAPI_NOTIFY_LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    }
    env.update({f"SPAPI_NOTIFY_{k.upper()}": str(v) for k, v in overrides.items() if v is not None})
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "consumer", "run"], env=env, cwd=log.parent, stdout=out, stderr=out
        )


@dataclass
class Timeline:
    """What the daemon's /metrics said, and when, around the outage (time.monotonic)."""

    started_at: float = 0.0
    stopped_at: float = 0.0
    paused_at: float = 0.0
    up_at: float = 0.0
    resumed_at: float = 0.0
    drained_at: float = 0.0
    before: dict[str, float] = field(default_factory=dict)
    paused: dict[str, float] = field(default_factory=dict)
    during: dict[str, float] = field(default_factory=dict)
    steps: int = 0
    left: float = 0.0


def outage(args: argparse.Namespace, bindir: Path, server: PostgresServer, port: int, log: Path) -> Timeline:
    """Stop PostgreSQL once a tenth of the backlog is done; start it again after ``args.outage`` seconds."""
    seen = Timeline()
    first = max(1, args.messages // 10)
    wait_for(lambda: processed(port) >= 1, 120, "the first processed", interval=0.02)
    seen.started_at = time.monotonic()
    wait_for(lambda: processed(port) >= first, 120, f"{first} processed", interval=0.02)
    seen.before = metrics(port)
    stop_cluster(bindir, server)
    seen.stopped_at = time.monotonic()
    seen.left = args.messages - processed(port)
    print(f"database stopped with {seen.left:.0f} of {args.messages} still to do")
    wait_for(lambda: metrics(port).get(PAUSED) == 1, 60, "daemon paused")
    seen.paused_at, seen.paused = time.monotonic(), metrics(port)
    time.sleep(max(0.0, seen.stopped_at + args.outage - time.monotonic()))
    seen.during = metrics(port)
    seen.steps = 1 + len(events(log, "daemon.still_down"))  # the probes made while it was down
    restart_cluster(bindir, server)
    seen.up_at = time.monotonic()
    wait_for(lambda: metrics(port).get(PAUSED) == 0, 120, "daemon resumed", interval=0.05)
    seen.resumed_at = time.monotonic()
    return seen


def run(args: argparse.Namespace) -> bool:
    bindir = server_bindir()
    with contextlib.ExitStack() as stack:
        endpoint = stack.enter_context(moto_process())
        server = stack.enter_context(throwaway_cluster(bindir))
        log = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "daemon.log"
        database_url = database(server)
        asyncio.run(prepare(database_url))
        sqs = boto3.client("sqs", **client_args(endpoint))
        queue_url, dlq_url = make_queues(sqs)
        send_backlog(sqs, queue_url, args.messages, args.handler_seconds)
        port = free_port()
        overrides = {"receive_wait_seconds": args.receive_wait, "retry_backoff_base": args.retry_backoff_base}
        daemon = start_daemon(endpoint, queue_url, database_url, port, log, overrides)
        try:
            seen = outage(args, bindir, server, port, log)
            wait_for(lambda: depth(sqs, queue_url) == 0, 600, "queue drained", interval=0.2)
            seen.drained_at = time.monotonic()
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(60)
        processed_rows, applied, twice = asyncio.run(tally(database_url))
        dead = depth(sqs, dlq_url)
    return report(args, seen, code, processed_rows=processed_rows, applied=applied, twice=twice, dead=dead)


def report(
    args: argparse.Namespace,
    seen: Timeline,
    code: int,
    *,
    processed_rows: int,
    applied: int,
    twice: int,
    dead: int,
) -> bool:
    """Print the figures and the bar; True when it is met."""
    receives = seen.during[RECEIVES] - seen.before[RECEIVES]
    after_pause = seen.during[RECEIVES] - seen.paused[RECEIVES]
    lost = args.messages - processed_rows - dead
    print(
        f"outage: {args.outage:.0f} s, paused {seen.paused_at - seen.stopped_at:.2f} s after the stop; "
        f"ReceiveMessage calls while down: {receives:.0f} ({after_pause:.0f} after the pause began), "
        f"backoff steps: {seen.steps}, pollers: {POLLERS}"
    )
    print(
        f"released during the outage: {seen.during.get(RELEASED, 0):.0f}; "
        f"transient failures counted: {seen.during.get(FAILED, 0):.0f}"
    )
    print(
        f"after the database returned: resumed in {seen.resumed_at - seen.up_at:.1f} s, "
        f"drained in {seen.drained_at - seen.up_at:.1f} s ({seen.left:.0f} notifications at "
        f"{seen.left / max(0.001, seen.drained_at - seen.resumed_at):.1f}/s; before the outage: "
        f"{processed_before(seen) / max(0.001, seen.stopped_at - seen.started_at):.1f}/s)"
    )
    print(
        f"notifications: {args.messages}, processed: {processed_rows}, dead-lettered: {dead}, lost: {lost}, "
        f"applied more than once: {twice}, applied: {applied}; daemon exit {code}"
    )
    ok = dead == 0 and lost == 0 and twice == 0 and receives <= POLLERS * seen.steps and code == 0
    print(
        "bar (0 dead-lettered, 0 lost, 0 applied twice, receives while down <= pollers x steps): "
        + bar_verdict(ok, args.quick)
    )
    if lost or code != 0:
        raise SystemExit("notifications were lost or the daemon failed")
    return ok


def processed_before(seen: Timeline) -> float:
    """Notifications processed from the first one to the stop (the rate the queue and handler allow)."""
    return sum(v for k, v in seen.before.items() if k.startswith(PROCESSED)) - 1


def processed(port: int) -> float:
    return sum(
        v for k, v in metrics(port).items() if k.startswith("spapi_notify_notifications_processed_total")
    )


def database(server: PostgresServer) -> str:
    create_database(server, "outage")
    return server.url("outage")


def client_args(endpoint: str) -> dict[str, str]:
    return {
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=750, help="notifications in the backlog")
    parser.add_argument("--outage", type=float, default=150.0, help="seconds PostgreSQL stays stopped")
    parser.add_argument("--handler-seconds", type=float, default=0.2, help="time the handler takes")
    parser.add_argument("--receive-wait", type=int, default=None, help="SPAPI_NOTIFY_RECEIVE_WAIT_SECONDS")
    parser.add_argument(
        "--retry-backoff-base", type=int, default=None, help="SPAPI_NOTIFY_RETRY_BACKOFF_BASE (the release)"
    )
    args = parse_args(
        parser, messages=120, outage=4.0, handler_seconds=0.5, receive_wait=1, retry_backoff_base=1
    )
    ok = run(args)
    if not ok and not args.quick:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
