"""The daemon as a real process: SIGTERM shuts it down gracefully, SIGKILL loses nothing and applies nothing
twice, and the command line refuses bad set-ups with one clear line."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner, Result

from consumer.cli.main import app
from tests.builders import notification_id_of, steered
from tests.fixtures.daemon_process import cli_env, free_port, start, wait_exit
from tests.fixtures.polling import eventually
from tests.fixtures.queues import SESSION, Queues, create_queues, drain, queue_depth, send
from tests.fixtures.steered_plugin import PLUGIN
from tests.fixtures.tables import effects, ledger


def daemon_env(moto_server: str, queues: Queues, database_url: str, **extra: str) -> dict[str, str]:
    return cli_env(
        moto_server,
        queue_url=queues.url,
        database_url=database_url,
        plugins=PLUGIN,
        receive_wait_seconds="1",
        retry_backoff_base="1",
        retry_backoff_max="2",
        log_format="json",
        **extra,
    )


async def test_sigterm_finishes_what_fits_in_the_grace_releases_the_rest_and_exits_0(
    moto_server: str, migrated_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    queues = await create_queues(visibility_timeout=120)
    quick, slow = steered(sleep=0.5), steered(sleep=60)
    port = free_port()
    env = daemon_env(moto_server, queues, migrated_url, shutdown_grace="2", metrics_port=str(port))
    process = start(env, tmp_path, tmp_path / "daemon.log")
    try:
        await eventually(lambda: _ready(port), bool, what="daemon ready")
        await send(queues.url, quick, slow)
        await eventually(
            lambda: queue_depth(queues.url), lambda depth: depth == (0, 2), what="both in flight"
        )
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert await wait_exit(process) == 0
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
    log = (tmp_path / "daemon.log").read_text()
    assert 2 <= took < 2 + 10, log
    assert await ledger(engine) == {notification_id_of(quick): "processed"}, log
    # The slow one is visible again at once, not after its 120 s visibility timeout.
    released = await drain(queues.url)
    assert [m["Body"] for m in released] == [__import__("json").dumps(slow)]
    assert '"daemon.released"' in log
    assert '"daemon.stopped"' in log


async def _ready(port: int) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"http://127.0.0.1:{port}/readyz", timeout=2)).status_code == 200
    except httpx.HTTPError:
        return False


async def test_sigkill_mid_batch_then_restart_applies_every_notification_exactly_once(
    moto_server: str, migrated_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    queues = await create_queues(visibility_timeout=2, max_receive_count=50)
    notes = [steered(sleep=0.01 * (i % 7)) for i in range(150)]
    for start_at in range(0, len(notes), 50):
        await send(queues.url, *notes[start_at : start_at + 50])
    env = daemon_env(moto_server, queues, migrated_url, pollers="4", max_in_flight="30", metrics_port="")
    first = start(env, tmp_path, tmp_path / "first.log")
    try:
        await eventually(lambda: ledger(engine), lambda rows: len(rows) >= 40, what="part of the work done")
    finally:
        first.kill()  # SIGKILL: no chance to finish, release or delete anything
    assert await wait_exit(first) == -signal.SIGKILL
    done_before_restart = len(await ledger(engine))
    assert done_before_restart < len(notes)
    second = start(env, tmp_path, tmp_path / "second.log")
    try:
        await eventually(lambda: ledger(engine), lambda rows: len(rows) == len(notes), deadline=60)
        await eventually(lambda: queue_depth(queues.url), lambda depth: depth == (0, 0), deadline=30)
    finally:
        second.send_signal(signal.SIGTERM)
        assert await wait_exit(second) == 0
    assert set((await ledger(engine)).values()) == {"processed"}
    assert await effects(engine) == {notification_id_of(n): 1 for n in notes}
    assert await drain(queues.dlq_url) == []


def test_command_line_refuses_bad_set_ups_with_one_clear_line(
    moto_server: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process (typer's runner) for speed; the signal tests above run the real process."""
    queues = asyncio.run(create_queues())

    async def lonely_queue() -> str:
        async with SESSION.client("sqs") as sqs:
            return (await sqs.create_queue(QueueName=f"lonely-{queues.arn.rsplit(':', 1)[1]}"))["QueueUrl"]

    lonely_url = asyncio.run(lonely_queue())
    runner = CliRunner()

    def run(*args: str, **settings: str) -> Result:
        env = {f"SPAPI_NOTIFY_{k.upper()}": v for k, v in {"metrics_port": "", **settings}.items()}
        return runner.invoke(app, list(args), env=env)

    no_queue = run("run", database_url=database_url)
    assert (no_queue.exit_code, no_queue.stderr.strip()) == (
        2,
        "error: missing required setting: SPAPI_NOTIFY_QUEUE_URL (the queue Amazon delivers to)",
    )
    unmigrated = run("run", queue_url=queues.url, database_url=database_url)
    assert unmigrated.exit_code == 2
    assert "run `spapi-notify db upgrade` first" in unmigrated.stderr

    upgraded = run("db", "upgrade", database_url=database_url)
    assert upgraded.exit_code == 0, upgraded.output
    assert "upgraded from an empty database to revision" in upgraded.stdout
    again = run("db", "upgrade", database_url=database_url)
    assert "already at revision" in again.stdout

    no_dlq = run("run", queue_url=lonely_url, database_url=database_url)
    assert no_dlq.exit_code == 2
    assert "has no dead-letter queue" in no_dlq.stderr
    assert "SPAPI_NOTIFY_DLQ_URL" in no_dlq.stderr

    missing = run("run", queue_url=queues.url + "-gone", database_url=database_url)
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr
    assert missing.exception is None or isinstance(missing.exception, SystemExit)

    bad = run("run", queue_url=queues.url, database_url="mysql://user:hunter2@db/x")
    assert bad.exit_code == 2
    assert "unsupported database" in bad.stderr
    assert "hunter2" not in bad.stderr

    unhealthy = run("health", "--url", f"http://127.0.0.1:{free_port()}")
    assert unhealthy.exit_code == 1
    assert "did not answer" in unhealthy.stderr


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "spapi-notify"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    for command in ("run", "health", "db"):
        assert command in done.stdout
