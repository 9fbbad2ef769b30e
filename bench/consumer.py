"""Consumer throughput and CPU cost, against a plain boto3 loop measured in the same run.

N notifications (default 2,000) go through SQS on a moto server (its own process) into:

- the baseline: a plain sequential boto3 loop in its own process: receive up to 10 (long poll), parse each
  body as JSON, delete it; no database, no concurrency;
- ``spapi-notify run`` (its own process) with 4 pollers and a no-op handler, on SQLite and on PostgreSQL:
  every message is unwrapped, validated, de-duplicated against the ledger and committed with its ledger row.

The queue is fed as it drains (moto slows down as a queue deepens), the same way for every run; then a
backlog that appears all at once. Prints messages/s for each, our throughput over the baseline's, the
consumer process's own CPU time per message (from its resource usage: the moto server's and the feeder's
costs are excluded) and its ratio to the baseline's, messages per ReceiveMessage, and SQS calls per message
(every call the consumer made: receives, deletes, visibility changes, queue attributes).
Bar: throughput >= 3x the baseline's with 4 pollers; CPU per message <= 0.5x the baseline's in every run (fed
and backlog, SQLite and PostgreSQL); and < 0.8 ms on the backlog.

With --quick, 40 messages (30 in the backlog run) through every run on both backends; the bar is printed but
not enforced (the exit status is 0 unless a process fails or messages are not processed in time), and
PostgreSQL is the server at SPAPI_NOTIFY_TEST_POSTGRES_URL when that is set.

    .venv/bin/python -m bench.consumer [--messages 2000] [--pollers 4] [--backends sqlite,postgresql]
                                       [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import psutil

from bench import bar_verdict, parse_args
from tests.fixtures.moto_server import aws_env
from tests.fixtures.postgres import (
    EXTERNAL_URL_ENV,
    PostgresServer,
    server_bindir,
    temporary_database,
    throwaway_cluster,
    wait_until_accepting,
)

ROOT = Path(__file__).resolve().parent.parent

APP_ID = "amzn1.sellerapps.app.bench"
FEED_AHEAD = 150  # moto's ReceiveMessage costs grow with the queue's depth: keep it shallow
RATE_BAR = 3.0  # messages/s over the baseline's, with 4 pollers
CPU_BAR = 0.5  # CPU per message over the baseline's, every run
BACKLOG_CPU_MS_BAR = 0.8  # CPU per message on a backlog, absolute


def notification(index: int) -> str:
    """An ORDER_CHANGE-sized notification of a type no handler claims: the daemon's no-op path."""
    return json.dumps(
        {
            "NotificationVersion": "1.0",
            "NotificationType": "BENCH_NOOP",
            "PayloadVersion": "1.0",
            "EventTime": "2026-11-23T10:00:00.000Z",
            "Payload": {
                "OrderChangeNotification": {
                    "SellerId": "A3TH9S8BH6GOGM",
                    "AmazonOrderId": f"903-{index:07d}-2219830",
                    "OrderChangeType": "OrderStatusChange",
                    "Summary": {
                        "MarketplaceId": "ATVPDKIKX0DER",
                        "OrderStatus": "Unshipped",
                        "FulfillmentType": "MFN",
                        "OrderItems": [{"OrderItemId": f"OI{index}", "SellerSKU": "SKU-1", "Quantity": 1}],
                    },
                }
            },
            "NotificationMetadata": {
                "ApplicationId": APP_ID,
                "SubscriptionId": "sub-bench",
                "PublishTime": "2026-11-23T10:00:01.000Z",
                "NotificationId": str(uuid.uuid4()),
            },
        }
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def moto_process() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(f"{endpoint}/moto-api/data.json"), 30, "moto server")
        yield endpoint
    finally:
        process.terminate()
        process.wait(10)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def wait_for(check: Callable[[], bool], deadline: float, what: str, interval: float = 0.05) -> None:
    stop = time.monotonic() + deadline
    while not check():
        if time.monotonic() > stop:
            raise SystemExit(f"{what}: not within {deadline}s")
        time.sleep(interval)


def make_queues(sqs: Any) -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})
    url: str = sqs.create_queue(
        QueueName=name, Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": "60"}
    )["QueueUrl"]
    return url


class Feeder(threading.Thread):
    """Sends ``total`` messages in batches of ten, pausing while the queue holds FEED_AHEAD or more."""

    def __init__(self, sqs: Any, queue_url: str, total: int) -> None:
        super().__init__(daemon=True)
        self.sqs, self.queue_url, self.total = sqs, queue_url, total
        self.started_at: float | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            sent = 0
            self.started_at = time.perf_counter()
            while sent < self.total:
                depth = int(
                    self.sqs.get_queue_attributes(
                        QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
                    )["Attributes"]["ApproximateNumberOfMessages"]
                )
                if depth >= FEED_AHEAD:
                    time.sleep(0.01)
                    continue
                for _ in range(10):
                    count = min(10, self.total - sent)
                    if count <= 0:
                        break
                    entries = [{"Id": str(i), "MessageBody": notification(sent + i)} for i in range(count)]
                    self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
                    sent += count
        except BaseException as exc:
            self.error = exc


@dataclass(frozen=True)
class Run:
    name: str
    messages: int
    seconds: float
    cpu_seconds: float
    receive_calls: float = 0.0
    sqs_calls: float = 0.0

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    @property
    def per_receive(self) -> float:
        return self.messages / max(1.0, self.receive_calls)

    @property
    def calls_per_message(self) -> float:
        return self.sqs_calls / self.messages

    @property
    def cpu_ms_per_message(self) -> float:
        return 1000 * self.cpu_seconds / self.messages


# --- the baseline, run as its own process -------------------------------------------------------------


def baseline_worker(queue_url: str, total: int) -> None:
    """Receive, parse, delete, one message after another; prints its own wall and CPU time as JSON."""
    sqs = boto3.client("sqs")
    done = receives = 0
    started: float | None = None
    cpu_start = 0.0
    while done < total:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        if messages and started is None:
            started = time.perf_counter()
            cpu_start = _cpu()
        receives += started is not None
        for message in messages:
            json.loads(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            done += 1
    assert started is not None
    seconds, cpu_seconds = time.perf_counter() - started, _cpu() - cpu_start
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "receives": receives}))


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def run_baseline(endpoint: str, total: int, deadline: float = 600) -> Run:
    sqs = boto3.client("sqs", **_client_args(endpoint))
    queue_url = make_queues(sqs)
    worker = subprocess.Popen(
        [sys.executable, "-m", "bench.consumer", "--baseline-worker", queue_url, "--messages", str(total)],
        env=aws_env(endpoint),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    feeder = Feeder(sqs, queue_url, total)
    feeder.start()
    try:
        out, _ = worker.communicate(timeout=deadline)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.communicate()
        _check_feeder(feeder)
        raise SystemExit(f"baseline: {total} messages not processed within {deadline}s") from None
    feeder.join()
    _check_feeder(feeder)
    if worker.returncode != 0:
        raise SystemExit(f"the baseline worker exited with {worker.returncode}")
    result = json.loads(out)
    receives = result["receives"]
    return Run(
        "baseline (sequential boto3)",
        total,
        result["seconds"],
        result["cpu_seconds"],
        receives,
        receives + total,
    )


def _check_feeder(feeder: Feeder) -> None:
    if feeder.error is not None:
        raise SystemExit(f"feeder failed: {feeder.error!r}")


def _client_args(endpoint: str) -> dict[str, str]:
    return {
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }


# --- spapi-notify ---------------------------------------------------------------------------------------


def migrate_database(endpoint: str, database_url: str) -> None:
    """``spapi-notify db upgrade``, as an operator runs it before starting the daemon."""
    migrate = subprocess.run(
        [sys.executable, "-m", "consumer", "db", "upgrade"],
        env={**aws_env(endpoint), "SPAPI_NOTIFY_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    if migrate.returncode != 0:
        raise SystemExit(f"db upgrade failed: {migrate.stderr}")


def start_daemon(
    endpoint: str, queue_url: str, pollers: int, database_url: str
) -> tuple[subprocess.Popen[bytes], int]:
    migrate_database(endpoint, database_url)
    port = free_port()
    env = {
        **aws_env(endpoint),
        "SPAPI_NOTIFY_QUEUE_URL": queue_url,
        "SPAPI_NOTIFY_DATABASE_URL": database_url,
        "SPAPI_NOTIFY_APPLICATION_ID": APP_ID,
        "SPAPI_NOTIFY_POLLERS": str(pollers),
        "SPAPI_NOTIFY_MAX_IN_FLIGHT": str(max(40, pollers * 10)),
        "SPAPI_NOTIFY_RECEIVE_WAIT_SECONDS": "1",
        "SPAPI_NOTIFY_METRICS_PORT": str(port),
        "SPAPI_NOTIFY_METRICS_HOST": "127.0.0.1",
        "SPAPI_NOTIFY_LOG_LEVEL": "warning",
        # BENCH_NOOP is a type without a handler: measured as the no-op path, not kept as an event.
        "SPAPI_NOTIFY_EVENT_TYPES": "none",
    }
    daemon = subprocess.Popen([sys.executable, "-m", "consumer", "run"], env=env, cwd=tempfile.gettempdir())
    wait_for(lambda: _answers(f"http://127.0.0.1:{port}/readyz"), 60, "daemon ready")
    return daemon, port


def stop_daemon(daemon: subprocess.Popen[bytes]) -> None:
    daemon.send_signal(signal.SIGTERM)
    if daemon.wait(60) != 0:
        raise SystemExit(f"the daemon exited with {daemon.returncode}")


def run_daemon(
    endpoint: str, total: int, pollers: int, backend: str, database_url: str, deadline: float = 600
) -> Run:
    """Messages fed as the queue drains: throughput against the baseline's."""
    sqs = boto3.client("sqs", **_client_args(endpoint))
    queue_url = make_queues(sqs)
    daemon, port = start_daemon(endpoint, queue_url, pollers, database_url)
    try:
        process = psutil.Process(daemon.pid)
        calls_before = _calls(port)
        cpu_before = sum(process.cpu_times()[:2])
        feeder = Feeder(sqs, queue_url, total)
        feeder.start()
        wait_for(
            lambda: _drained(sqs, queue_url, feeder), deadline, f"{total} messages processed", interval=0.1
        )
        seconds = time.perf_counter() - (feeder.started_at or 0.0)
        cpu_seconds = sum(process.cpu_times()[:2]) - cpu_before
        feeder.join()
        _check_feeder(feeder)
        calls = _calls(port)
    finally:
        stop_daemon(daemon)
    return _run(
        f"spapi-notify, {pollers} pollers, {backend}", total, seconds, cpu_seconds, calls_before, calls
    )


def run_backlog(
    endpoint: str,
    total: int,
    pollers: int,
    backend: str,
    database_url: str,
    delay: int = 15,
    deadline: float = 600,
    strict: bool = True,
) -> Run:
    """A backlog that appears all at once (sent with a delay that ends after the daemon is ready): CPU per
    message when SQS hands out full batches, as it does whenever there is a queue to work off.

    Not ``strict`` (a quick run), a daemon that is ready late only makes the figures meaningless.
    """
    sqs = boto3.client("sqs", **_client_args(endpoint))
    queue_url = make_queues(sqs)
    sent_by = time.monotonic() + delay
    for start in range(0, total, 10):
        entries = [
            {"Id": str(i), "MessageBody": notification(start + i), "DelaySeconds": delay}
            for i in range(min(10, total - start))
        ]
        sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    daemon, port = start_daemon(endpoint, queue_url, pollers, database_url)
    try:
        if time.monotonic() > sent_by - 2:
            if strict:
                raise SystemExit("the backlog became visible before the daemon was ready: use fewer messages")
            print(f"backlog, {backend}: visible before the daemon was ready (quick run: figures are noise)")
        process = psutil.Process(daemon.pid)
        time.sleep(max(0.0, sent_by - time.monotonic() - 0.5))  # the idle polling before is not counted
        calls_before = _calls(port)
        cpu_before = sum(process.cpu_times()[:2])
        started = time.perf_counter()
        wait_for(lambda: _drained(sqs, queue_url), deadline, f"{total} messages processed", interval=0.1)
        seconds = time.perf_counter() - started
        cpu_seconds = sum(process.cpu_times()[:2]) - cpu_before
        calls = _calls(port)
    finally:
        stop_daemon(daemon)
    return _run(f"backlog, {pollers} pollers, {backend}", total, seconds, cpu_seconds, calls_before, calls)


def _run(
    name: str,
    total: int,
    seconds: float,
    cpu_seconds: float,
    calls_before: dict[str, float],
    calls: dict[str, float],
) -> Run:
    """A daemon's run, its SQS calls counted between the two readings of its metrics."""
    receives = calls.get("ReceiveMessage", 0) - calls_before.get("ReceiveMessage", 0)
    every_call = sum(calls.values()) - sum(calls_before.values())
    return Run(name, total, seconds, cpu_seconds, receives, every_call)


def _calls(port: int) -> dict[str, float]:
    """The daemon's SQS calls so far, by operation (spapi_notify_sqs_calls_total)."""
    calls: dict[str, float] = {}
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("spapi_notify_sqs_calls_total{"):
                operation = line.split('operation="', 1)[1].split('"', 1)[0]
                calls[operation] = float(line.rsplit(" ", 1)[1])
    return calls


def _processed(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    settled = 0.0
    for line in text.splitlines():
        if line.startswith(
            ("spapi_notify_notifications_ignored_total", "spapi_notify_notifications_processed_total")
        ):
            settled += float(line.rsplit(" ", 1)[1])
    return int(settled)


def _drained(sqs: Any, queue_url: str, feeder: Feeder | None = None) -> bool:
    """Every message sent has been deleted, so processed (the daemon deletes only after its commit).

    Asked of SQS, not of the daemon: scraping its /metrics would add to the CPU time being measured.
    """
    if feeder is not None and feeder.is_alive():
        return False
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return all(attributes.get(name) == "0" for name in names)


@contextlib.contextmanager
def database(backend: str, external_postgres: str | None = None) -> Iterator[str]:
    """A fresh database: SQLite in a temporary directory, or PostgreSQL in a throwaway cluster (a database
    of its own on the server at ``external_postgres``, when given)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite+aiosqlite:///{directory}/bench.db"
        return
    if external_postgres:
        server = PostgresServer.from_url(external_postgres)
        wait_until_accepting(server, timeout=10)
        with temporary_database(server, prefix="spapi_bench") as name:
            yield server.url(name)
        return
    with throwaway_cluster(server_bindir()) as server, temporary_database(server) as name:
        yield server.url(name)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--pollers", type=int, default=4)
    parser.add_argument("--backlog", type=int, default=300, help="messages in the CPU-at-full-batches run")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--backlog-delay", type=int, default=15, help="seconds the backlog stays invisible (6 with --quick)"
    )
    parser.add_argument("--baseline-worker", metavar="QUEUE_URL", help=argparse.SUPPRESS)
    args = parse_args(parser, messages=40, backlog=30, backlog_delay=6)
    if args.baseline_worker:
        baseline_worker(args.baseline_worker, args.messages)
        return
    # A quick run that loses messages fails in a minute, not ten; it may use the test suite's PostgreSQL.
    deadline = 60 if args.quick else 600
    external_postgres = os.environ.get(EXTERNAL_URL_ENV) if args.quick else None
    with moto_process() as endpoint:
        baseline = run_baseline(endpoint, args.messages, deadline)
        print(describe(baseline))
        ok = True
        for backend in args.backends.split(","):
            with database(backend, external_postgres) as url:
                ours = run_daemon(endpoint, args.messages, args.pollers, backend, url, deadline)
            with database(backend, external_postgres) as url:
                backlog = run_backlog(
                    endpoint,
                    args.backlog,
                    args.pollers,
                    backend,
                    url,
                    delay=args.backlog_delay,
                    deadline=deadline,
                    strict=not args.quick,
                )
            ratio = ours.rate / baseline.rate
            ok = (
                ok
                and ratio >= RATE_BAR
                and all(
                    run.cpu_ms_per_message <= CPU_BAR * baseline.cpu_ms_per_message for run in (ours, backlog)
                )
                and backlog.cpu_ms_per_message < BACKLOG_CPU_MS_BAR
            )
            for run in (ours, backlog):
                print(
                    describe(run)
                    + f"  CPU / baseline's {run.cpu_ms_per_message / baseline.cpu_ms_per_message:.2f}"
                    + (f"  rate / baseline's {ratio:.2f}" if run is ours else "")
                )
    print(
        f"bar (rate >= {RATE_BAR:g}x the baseline's, CPU/msg <= {CPU_BAR:g}x the baseline's, "
        f"backlog CPU < {BACKLOG_CPU_MS_BAR:g} ms/msg):",
        bar_verdict(ok, args.quick),
    )
    raise SystemExit(0 if ok or args.quick else 1)


def describe(run: Run) -> str:
    return (
        f"{run.name:>40}: {run.rate:8.1f} msg/s  CPU {run.cpu_ms_per_message:.3f} ms/msg  "
        f"{run.per_receive:.1f} msg/ReceiveMessage  {run.calls_per_message:.3f} SQS calls/msg"
    )


if __name__ == "__main__":
    main()
