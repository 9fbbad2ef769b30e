"""Peak memory of the daemon while it stores a 1 GiB (uncompressed) GZIP report document.

``spapi-notify run`` runs as its own process against SQS on a moto server (its own process), SQLite, and the
SP-API sandbox (in this process) serving a report document of tab-separated order rows, GZIP-compressed as it
is sent (never held in memory whole). One REPORT_PROCESSING_FINISHED (DONE) notification makes the daemon call
getReport and getReportDocument, stream the document, inflate it and write it to SPAPI_NOTIFY_REPORT_DIR.

Measured: the daemon's peak RSS (VmHWM from /proc/PID/status, the kernel's own high-water mark), the document
size, and throughput (uncompressed bytes over the time from sending the notification to its committed row).
The stored file's sha256 is checked against the document's. Baselines in the same run:

- idle: the same daemon, same imports, having processed a CANCELLED report (no download); the ratio peak/idle
  shows what the 1 GiB download adds;
- naive: ``httpx.get(url).content`` then ``gzip.decompress`` (in its own process) on a 64 MiB document; its
  growth over its own start-up RSS, scaled to the document size, estimates what the naive approach would take.

Bar: peak RSS < 100 MB (printed as true or false; the exit status is 0 unless a run fails or the stored
document differs).

With --quick, a 16 MiB document and a 4 MiB one for the naive baseline: every run, every check.

    .venv/bin/python -m bench.report_memory [--size-mib 1024] [--naive-mib 64] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]

from bench import parse_args
from bench.consumer import _answers, free_port, moto_process, wait_for
from spapi.sandbox import SandboxServer, SandboxState, gzip_stream

ROOT = Path(__file__).resolve().parent.parent

MIB = 1024 * 1024
APP_ID = "amzn1.sellerapps.app.bench-reports"
CLIENT_ID, CLIENT_SECRET = "amzn1.application-oa2-client.bench", "bench-secret"
SELLER_ID, REFRESH_TOKEN = "A1BENCHSELLER", "Atzr|bench-refresh"
REPORT_TYPE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
HEADER = b"amazon-order-id\tpurchase-date\tsku\tasin\tquantity\tcurrency\titem-price\tship-city\tship-state\n"
BLOCKS = 16  # distinct 1 MiB blocks, cycled: far apart enough that GZIP's 32 KiB window never sees a repeat


def _blocks() -> list[bytes]:
    rng = random.Random(20261123)
    cities = [b"SEATTLE\tWA", b"AUSTIN\tTX", b"BROOKLYN\tNY", b"DENVER\tCO", b"MIAMI\tFL", b"PORTLAND\tOR"]
    blocks = []
    for _ in range(BLOCKS):
        rows = bytearray()
        while len(rows) < MIB:
            rows += (
                b"%03d-%07d-%07d\t2026-11-%02dT%02d:%02d:%02dZ\tSKU-%06d\tB0%08X\t%d\tUSD\t%d.%02d\t%s\n"
                % (
                    rng.randrange(100, 999),
                    rng.randrange(10**7),
                    rng.randrange(10**7),
                    rng.randrange(1, 29),
                    rng.randrange(24),
                    rng.randrange(60),
                    rng.randrange(60),
                    rng.randrange(50_000),
                    rng.randrange(16**8),
                    rng.randrange(1, 4),
                    rng.randrange(1, 400),
                    rng.randrange(100),
                    rng.choice(cities),
                )
            )
        blocks.append(bytes(rows[:MIB]))
    return blocks


def document(size: int, blocks: list[bytes]) -> Callable[[], Iterator[bytes]]:
    """The uncompressed document, ``size`` bytes, produced block by block (a header, then rows)."""

    def chunks() -> Iterator[bytes]:
        yield HEADER
        left = size - len(HEADER)
        index = 0
        while left > 0:
            block = blocks[index % len(blocks)]
            piece = block if left >= len(block) else block[:left]
            left -= len(piece)
            index += 1
            yield piece

    return chunks


def aws_env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPAPI_NOTIFY_", "AWS_"))}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return env


def notification(report_id: str, status: str, document_id: str | None) -> str:
    body: dict[str, Any] = {
        "sellerId": SELLER_ID,
        "accountId": f"amzn1.merchant.o.{SELLER_ID}",
        "reportId": report_id,
        "reportType": REPORT_TYPE,
        "processingStatus": status,
    }
    if document_id:
        body["reportDocumentId"] = document_id
    return json.dumps(
        {
            "notificationVersion": "2020-09-04",
            "notificationType": "REPORT_PROCESSING_FINISHED",
            "payloadVersion": "2020-09-04",
            "eventTime": "2026-11-23T10:00:00.000Z",
            "payload": {"reportProcessingFinishedNotification": body},
            "notificationMetadata": {
                "applicationId": APP_ID,
                "subscriptionId": "bench",
                "publishTime": "2026-11-23T10:00:01.000Z",
                "notificationId": str(uuid.uuid4()),
            },
        }
    )


class Daemon:
    """``spapi-notify run`` in its own process; ``stop`` returns its peak RSS in bytes (ru_maxrss)."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.port = free_port()
        env = {**env, "SPAPI_NOTIFY_METRICS_PORT": str(self.port), "SPAPI_NOTIFY_METRICS_HOST": "127.0.0.1"}
        self.process = subprocess.Popen([sys.executable, "-m", "consumer", "run"], env=env, cwd=cwd)
        wait_for(self._ready, 60, "daemon ready")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise SystemExit(f"the daemon exited with {self.process.returncode}")
        return _answers(f"http://127.0.0.1:{self.port}/readyz")

    def stop(self) -> int:
        peak = high_water_mark(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        if self.process.wait(60) != 0:
            raise SystemExit(f"the daemon exited with {self.process.returncode}")
        return peak


def high_water_mark(pid: int | str) -> int:
    """Peak RSS (VmHWM) in bytes of a running process.

    Not ru_maxrss: Linux carries that across exec, so a child would report its parent's RSS at fork time.
    VmHWM belongs to the address space exec creates.
    """
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise SystemExit("no VmHWM in /proc/PID/status: this benchmark needs Linux")


def stored_row(database: Path, report_id: str) -> tuple[str, int, str] | None:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        row = connection.execute(
            "SELECT location, size_bytes, sha256 FROM reports WHERE report_id = ? AND sha256 IS NOT NULL",
            (report_id,),
        ).fetchone()
    return None if row is None else (str(row[0]), int(row[1]), str(row[2]))


def processed(database: Path, report_id: str) -> bool:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return (
            connection.execute("SELECT 1 FROM reports WHERE report_id = ?", (report_id,)).fetchone()
            is not None
        )


NAIVE = """
import gzip, json, sys
import httpx
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
before = hwm()
data = gzip.decompress(httpx.get(sys.argv[1], timeout=600).content)
print(json.dumps({"before": before, "peak": hwm(), "size": len(data)}))
"""


def naive(server: SandboxServer, document_id: str) -> dict[str, int]:
    """httpx.get(url).content + gzip.decompress in a fresh process; its RSS before and at peak."""
    with urllib.request.urlopen(
        urllib.request.Request(
            server.lwa_url,
            data=urllib.parse.urlencode(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": REFRESH_TOKEN,
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                }
            ).encode(),
        )
    ) as response:
        token = json.load(response)["access_token"]
    request = urllib.request.Request(
        f"{server.url}/reports/2021-06-30/documents/{document_id}", headers={"x-amz-access-token": token}
    )
    with urllib.request.urlopen(request) as response:
        url = json.load(response)["url"]
    out = subprocess.run([sys.executable, "-c", NAIVE, url], capture_output=True, text=True, check=True)
    result: dict[str, int] = json.loads(out.stdout)
    return result


HANDLER = """
import asyncio, json, os, sys
from consumer.app.configs import seller_directory
from consumer.settings import Settings
from handlers.context import HandlerContext
from handlers.report_processing_finished import ReportProcessingFinishedHandler
from handlers.report_storage import report_storage
from spapi import SpApiClient
from spapi.notifications import parse_notification
from store.engine import create_engine

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024

async def main():
    settings = Settings()
    engine = create_engine(settings.database_url)
    async with SpApiClient(settings.spapi_config()) as client:
        context = HandlerContext(engine, seller_directory(settings, engine), client)
        handler = ReportProcessingFinishedHandler(context, report_storage(settings.report_dir))
        notification = parse_notification(json.loads(sys.argv[1]))
        before = hwm()
        effect = await handler.prepare(notification)
        async with engine.begin() as connection:
            await effect.apply(connection)
    await engine.dispose()
    print(json.dumps({"before": before, "peak": hwm()}))

asyncio.run(main())
"""


def handler_alone(env: dict[str, str], directory: Path, body: str) -> dict[str, int]:
    """The handler's prepare and apply in a process of their own: no SQS client, no daemon machinery."""
    env = {**env, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", HANDLER, body],
        env=env,
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"the handler process failed:\n{out.stderr}")
    result: dict[str, int] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=1024, help="uncompressed document size (MiB)")
    parser.add_argument("--naive-mib", type=int, default=64, help="document size for the naive baseline")
    parser.add_argument("--level", type=int, default=1, help="GZIP level of the served document")
    args = parse_args(parser, size_mib=16, naive_mib=4)
    size = args.size_mib * MIB
    blocks = _blocks()
    produce = document(size, blocks)
    expected = hashlib.sha256()
    for chunk in produce():
        expected.update(chunk)

    state = SandboxState(
        clients={CLIENT_ID: CLIENT_SECRET},
        sellers={REFRESH_TOKEN: SELLER_ID},
        rate_limits_enabled=False,
        record_limit=100,
    )
    state.add_document("bench-doc", lambda: gzip_stream(produce(), level=args.level))
    for report_id in ("1000001", "1000002"):  # the daemon's run, then the handler's own
        state.add_report(
            {
                "reportId": report_id,
                "reportType": REPORT_TYPE,
                "processingStatus": "DONE",
                "createdTime": "2026-11-23T09:00:00Z",
                "reportDocumentId": "bench-doc",
            }
        )
    small = document(args.naive_mib * MIB, blocks)
    state.add_document("bench-naive-doc", lambda: gzip_stream(small(), level=args.level))

    with (
        tempfile.TemporaryDirectory(prefix="report-memory-") as scratch,
        moto_process() as endpoint,
        SandboxServer(state) as server,
    ):
        directory = Path(scratch)
        database = directory / "spapi-notify.db"
        sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
        name = f"bench-{uuid.uuid4().hex[:8]}"
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
        env = {
            **aws_env(endpoint),
            "SPAPI_NOTIFY_QUEUE_URL": queue_url,
            "SPAPI_NOTIFY_DLQ_URL": dlq_url,
            "SPAPI_NOTIFY_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "SPAPI_NOTIFY_APPLICATION_ID": APP_ID,
            "SPAPI_NOTIFY_LWA_CLIENT_ID": CLIENT_ID,
            "SPAPI_NOTIFY_LWA_CLIENT_SECRET": CLIENT_SECRET,
            "SPAPI_NOTIFY_ENDPOINT": server.url,
            "SPAPI_NOTIFY_LWA_ENDPOINT": server.lwa_url,
            "SPAPI_NOTIFY_SELLER_ID": SELLER_ID,
            "SPAPI_NOTIFY_REFRESH_TOKEN": REFRESH_TOKEN,
            "SPAPI_NOTIFY_REPORT_DIR": str(directory / "reports"),
            "SPAPI_NOTIFY_RECEIVE_WAIT_SECONDS": "1",
            "SPAPI_NOTIFY_HANDLER_TIMEOUT": "1800",
            "SPAPI_NOTIFY_LOG_LEVEL": "warning",
        }
        subprocess.run(
            [sys.executable, "-m", "consumer", "db", "upgrade"], env=env, cwd=directory, check=True
        )

        # Baseline: the same daemon, a report with nothing to download.
        idle_daemon = Daemon(env, directory)
        sqs.send_message(QueueUrl=queue_url, MessageBody=notification("1000000", "CANCELLED", None))
        wait_for(lambda: processed(database, "1000000"), 60, "the CANCELLED report recorded")
        idle = idle_daemon.stop()

        daemon = Daemon(env, directory)
        started = time.perf_counter()
        sqs.send_message(QueueUrl=queue_url, MessageBody=notification("1000001", "DONE", "bench-doc"))
        wait_for(lambda: stored_row(database, "1000001") is not None, 1800, "the report stored", 0.1)
        seconds = time.perf_counter() - started
        peak = daemon.stop()
        row = stored_row(database, "1000001")
        assert row is not None
        location, stored_size, sha256 = row
        file_size = Path(location).stat().st_size
        compressed = state.documents["bench-doc"].size or 0

        alone_started = time.perf_counter()
        alone = handler_alone(env, directory, notification("1000002", "DONE", "bench-doc"))
        alone_seconds = time.perf_counter() - alone_started
        alone_row = stored_row(database, "1000002")
        naive_result = naive(server, "bench-naive-doc")

    if sha256 != expected.hexdigest() or stored_size != size or file_size != size:
        raise SystemExit(f"stored document differs: {stored_size} bytes, sha256 {sha256}")
    if alone_row is None or alone_row[2] != expected.hexdigest():
        raise SystemExit("the handler run on its own stored a different document")
    naive_growth = naive_result["peak"] - naive_result["before"]
    naive_scaled = naive_result["before"] + naive_growth * size // (args.naive_mib * MIB)
    result = {
        "document_uncompressed_bytes": size,
        "document_gzip_bytes": compressed,
        "seconds": round(seconds, 2),
        "throughput_mib_per_s": round(size / MIB / seconds, 1),
        "daemon_peak_rss_mb": round(peak / 1e6, 1),
        "idle_daemon_peak_rss_mb": round(idle / 1e6, 1),
        "peak_over_idle": round(peak / idle, 3),
        "download_added_mb": round((peak - idle) / 1e6, 1),
        "handler_process_peak_rss_mb": round(alone["peak"] / 1e6, 1),
        "handler_process_rss_before_download_mb": round(alone["before"] / 1e6, 1),
        "handler_process_seconds": round(alone_seconds, 2),
        f"naive_peak_rss_mb_for_{args.naive_mib}_mib": round(naive_result["peak"] / 1e6, 1),
        "naive_estimated_peak_rss_mb_for_document": round(naive_scaled / 1e6, 1),
        "naive_estimate_over_peak": round(naive_scaled / peak, 1),
        "sha256_matches": True,
        "bar_daemon_peak_rss_under_100_mb": peak < 100e6,
        "bar_handler_process_peak_rss_under_100_mb": alone["peak"] < 100e6,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
