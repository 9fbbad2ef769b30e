"""Start-up time and idle memory of ``spapi-notify run``, against a minimal aioboto3 loop in the same run.

``spapi-notify run`` starts as its own process (its SQS on a moto server, its own process too), with SP-API
credentials configured and an empty queue, on SQLite and on PostgreSQL (a migrated database each):

- ready: seconds from the process's start (Popen) to the first ``/readyz`` answering 200 (what a Kubernetes
  readiness probe waits for); ready means what it always meant: the database answered, SQS answered, the
  event loop ticks;
- idle RSS: the resident set after it has idled with its pollers long-polling (``--idle`` seconds), and its
  peak (VmHWM).

Baseline: a minimal aioboto3 loop (create a client, long-poll ReceiveMessage forever, delete what arrives), as
its own process: seconds to its first ReceiveMessage, and its idle RSS. Beside it, per backend, the floor of
the stack the project is built on: the same loop that also validates each body with a pydantic model and
commits one row per message through a SQLAlchemy async engine on the backend's driver (aiosqlite, asyncpg),
the least a daemon on aioboto3 + pydantic + SQLAlchemy can load. Each start is measured ``--starts`` times;
the median is printed. Bytecode is compiled as in the container image (which compiles it at build
time): the processes write it to a cache directory of the run (PYTHONPYCACHEPREFIX), and one start of each
kind before the measured ones fills it. Bars: ready < 2 s, idle RSS < 80 MB (the ratio to the minimal loop's
beside it).

With --quick, one start on SQLite only (no warm-up start before it), 3 s idle: the bars are printed but not
enforced.

    .venv/bin/python -m bench.startup [--starts 3] [--idle 25] [--backends sqlite,postgresql] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import boto3  # type: ignore[import-untyped]

from bench import bar_verdict, parse_args
from bench.consumer import (
    _answers,
    _client_args,
    database,
    free_port,
    make_queues,
    migrate_database,
    moto_process,
)
from tests.fixtures.moto_server import aws_env
from tests.fixtures.postgres import EXTERNAL_URL_ENV

ROOT = Path(__file__).resolve().parent.parent
READY_BAR = 2.0
RSS_BAR_MB = 80.0

MINIMAL_LOOP = """
import asyncio, sys
import aioboto3

async def main(url):
    async with aioboto3.Session().client("sqs") as sqs:
        print("receiving", flush=True)
        while True:
            answer = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=20)
            for message in answer.get("Messages", []):
                await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

asyncio.run(main(sys.argv[1]))
"""

STACK_LOOP = """
import asyncio, sys
import aioboto3, pydantic
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

class Body(pydantic.BaseModel):
    NotificationType: str = ""

async def main(url, database_url):
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE IF NOT EXISTS stack_loop_seen (id TEXT PRIMARY KEY)"))
    async with aioboto3.Session().client("sqs") as sqs:
        print("receiving", flush=True)
        while True:
            answer = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=20)
            for message in answer.get("Messages", []):
                Body.model_validate_json(message["Body"])
                async with engine.begin() as connection:
                    await connection.execute(
                        text("INSERT INTO stack_loop_seen VALUES (:id)"), {"id": message["MessageId"]}
                    )
                await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@dataclass(frozen=True)
class Start:
    """One process start: seconds to ready, RSS after idling and its peak, in bytes."""

    ready_seconds: float
    idle_rss: int
    peak_rss: int


def memory(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a running process, in bytes."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return fields["VmRSS"], fields["VmHWM"]


def stop(process: subprocess.Popen[bytes]) -> None:
    """Killed, not stopped: a graceful stop waits for the long poll under way (up to 25 s), and the figures
    are read already."""
    if process.poll() is not None:
        raise SystemExit(f"a process exited by itself, with {process.returncode}")
    process.kill()
    process.wait()


def daemon_start(env: dict[str, str], idle: float) -> Start:
    """``spapi-notify run``: Popen to /readyz 200, then idle RSS."""
    port = free_port()
    env = {**env, "SPAPI_NOTIFY_METRICS_PORT": str(port), "SPAPI_NOTIFY_METRICS_HOST": "127.0.0.1"}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "consumer", "run"], env=env, cwd=tempfile.gettempdir())

    def ready() -> None:
        while not _answers(f"http://127.0.0.1:{port}/readyz"):
            if process.poll() is not None:
                raise SystemExit(f"the daemon exited with {process.returncode}")
            if time.perf_counter() - started > 60:
                raise SystemExit("the daemon was not ready within 60 s")
            time.sleep(0.01)

    return measured(process, started, ready, idle)


def minimal_start(env: dict[str, str], script: tuple[str, ...], idle: float) -> Start:
    """A minimal loop (``script``: ``MINIMAL_LOOP`` or ``STACK_LOOP`` and its arguments): Popen to its first
    ReceiveMessage, then idle RSS."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", *script], env=env, stdout=subprocess.PIPE)

    def ready() -> None:
        assert process.stdout is not None
        if process.stdout.readline().strip() != b"receiving":
            raise SystemExit("the minimal loop did not start")

    return measured(process, started, ready, idle)


def measured(
    process: subprocess.Popen[bytes], started: float, ready: Callable[[], None], idle: float
) -> Start:
    """Wait for ``process`` to be ``ready``, let it idle, read its memory; it is stopped either way."""
    try:
        ready()
        ready_seconds = time.perf_counter() - started
        time.sleep(idle)
        rss, peak = memory(process.pid)
    finally:
        stop(process)
    return Start(ready_seconds, rss, peak)


def starts(args: argparse.Namespace, start: Callable[[float], Start]) -> list[Start]:
    """``args.starts`` measured starts of one kind (after one that compiles the bytecode, in a full run)."""
    if not args.quick:  # a quick run's figures are noise: no warm-up start
        start(0.0)
    return [start(args.idle) for _ in range(args.starts)]


def median(starts: list[Start]) -> Start:
    return Start(
        statistics.median(s.ready_seconds for s in starts),
        int(statistics.median(s.idle_rss for s in starts)),
        int(statistics.median(s.peak_rss for s in starts)),
    )


def describe(name: str, start: Start, what: str = "ready") -> str:
    return (
        f"{name:>32}: {what} {start.ready_seconds:.2f} s  idle RSS {start.idle_rss / 1e6:.1f} MB  "
        f"peak {start.peak_rss / 1e6:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--starts", type=int, default=3, help="starts measured per process kind")
    parser.add_argument("--idle", type=float, default=25.0, help="seconds idle before the RSS is read")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parse_args(parser, starts=1, idle=3.0, backends="sqlite")
    external_postgres = os.environ.get(EXTERNAL_URL_ENV) if args.quick else None
    ok = True
    with moto_process() as endpoint, tempfile.TemporaryDirectory(prefix="startup-pycache-") as pycache:
        sqs = boto3.client("sqs", **_client_args(endpoint))
        base_env = {
            key: value for key, value in aws_env(endpoint).items() if key != "PYTHONDONTWRITEBYTECODE"
        }
        base_env["PYTHONPYCACHEPREFIX"] = pycache
        minimal_queue = make_queues(sqs)
        minimal = median(starts(args, partial(minimal_start, base_env, (MINIMAL_LOOP, minimal_queue))))
        print(describe("minimal aioboto3 loop", minimal, "first receive"))
        for backend in args.backends.split(","):
            with database(backend, external_postgres) as url:
                stack_loop = (STACK_LOOP, minimal_queue, url)  # the URL names the async driver already
                stack = median(starts(args, partial(minimal_start, base_env, stack_loop)))
                print(describe(f"the stack's floor, {backend}", stack, "first receive"))
                migrate_database(endpoint, url)
                env = {
                    **base_env,
                    "SPAPI_NOTIFY_QUEUE_URL": make_queues(sqs),
                    "SPAPI_NOTIFY_DATABASE_URL": url,
                    "SPAPI_NOTIFY_APPLICATION_ID": "amzn1.sellerapps.app.bench",
                    # Credentials make the daemon build its SP-API client, as in production; no seller is
                    # configured, so nothing calls SP-API while it idles.
                    "SPAPI_NOTIFY_LWA_CLIENT_ID": "amzn1.application-oa2-client.bench",
                    "SPAPI_NOTIFY_LWA_CLIENT_SECRET": "bench-secret",
                    "SPAPI_NOTIFY_LOG_LEVEL": "warning",
                }
                ours = median(starts(args, partial(daemon_start, env)))
            ok = ok and ours.ready_seconds < READY_BAR and ours.idle_rss < RSS_BAR_MB * 1e6
            print(
                describe(f"spapi-notify run, {backend}", ours)
                + f"  RSS / minimal loop's {ours.idle_rss / minimal.idle_rss:.2f}"
                + f"  / the stack's floor's {ours.idle_rss / stack.idle_rss:.2f}"
            )
    print(f"bar (ready < {READY_BAR:g} s, idle RSS < {RSS_BAR_MB:g} MB):", bar_verdict(ok, args.quick))
    raise SystemExit(0 if ok or args.quick else 1)


if __name__ == "__main__":
    main()
