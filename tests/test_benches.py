"""The benchmarks run exactly as README.md's "Benchmarks" section shows them, so that they cannot rot.

Every command of the form ``.venv/bin/python -m bench.NAME ...`` in that section runs with ``--quick``
appended (``sys.executable`` standing in for ``.venv/bin/python``: the tests run inside that venv), from the
repository root, and must exit 0 and print its figures. The runs start together, when the first of them is
tested: each waits mostly on daemons starting and queues draining, so together they take about as long as the
slowest. The consumer bench uses the test session's PostgreSQL server (SPAPI_NOTIFY_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.fixtures.postgres import EXTERNAL_URL_ENV, PostgresServer

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SECTION = "## Benchmarks"
PYTHON = ".venv/bin/python"
COMMAND = re.compile(r"`(\.venv/bin/python -m bench\.(\w+)(?: [^`]*)?)`")
DEADLINE = 100.0  # seconds from the start of the runs; together they take about 35 on two cores

# What each bench must print: the labels of its main figures and of its bar.
LABELS = {
    "ratelimit": [
        "configured: calls=",
        "learned: calls=",
        "429s=",
        "achieved=",
        "ratio=",
        "bar (zero 429s, ratio >= 0.9):",
    ],
    "consumer": [
        "baseline (sequential boto3):",
        "spapi-notify, 4 pollers, sqlite:",
        "backlog, 4 pollers, sqlite:",
        "spapi-notify, 4 pollers, postgresql:",
        "backlog, 4 pollers, postgresql:",
        "msg/s",
        "ms/msg",
        "msg/ReceiveMessage",
        "SQS calls/msg",
        "CPU / baseline's",
        "bar (rate >= 3x the baseline's, CPU/msg <= 0.5x the baseline's, backlog CPU < 0.8 ms/msg):",
    ],
    "client": [
        "getListingsItem calls each; plan",
        "ours (spapi-notify): ok=",
        "ms/call",
        "429s=",
        "achieved/allowed=",
        "peak RSS",
        "bar (CPU/call <= 1x the peer's, our 429s 0, our achieved/allowed >= 0.9):",
    ],
    "startup": [
        "minimal aioboto3 loop: first receive",
        "the stack's floor, sqlite: first receive",
        "spapi-notify run, sqlite: ready",
        "idle RSS",
        "RSS / minimal loop's",
        "/ the stack's floor's",
        "bar (ready < 2 s, idle RSS < 80 MB):",
    ],
    "coalesce": [
        "ORDER_CHANGE notifications over",
        "baseline, one getOrder per notification:",
        "coalesced:",
        "getOrder 429s:",
        "orders stored:",
        "bar (calls <=",
    ],
    "reconcile": [
        "orders not matching Amazon before the sweep:",
        "first sweep:",
        "orders matching Amazon after it:",
        "searchOrders calls:",
        "429s (searchOrders + getOrder):",
        "p95 added by the sweep:",
        "bar (100 % matching, 0 429s, p95 added < 1 s):",
    ],
    "feed": [
        "sqlite: ",
        "postgresql: ",
        "changes committed",
        "delivered",
        "duplicates",
        "missing",
        "out of order",
        "lag p50",
        "bar (0 duplicates, 0 missing, 0 out of order, lag p95 < 1 s):",
    ],
    "outage": [
        "database stopped with",
        "ReceiveMessage calls while down:",
        "backoff steps:",
        "resumed in",
        "drained in",
        "dead-lettered: 0, lost: 0",
        "bar (0 dead-lettered, 0 lost, 0 applied twice, receives while down <= pollers x steps):",
    ],
    "fleet": [
        "1 replica(s): getOrder calls=",
        "2 replica(s): getOrder calls=",
        "429s=",
        "ratio=",
        "drain=",
        "per changed order=",
        "subscriptions created=",
        "concurrency 1: median=",
        "p99=",
        "light sellers alone: p95 wait",
        "light sellers' p95 wait beside the heavy seller / alone:",
        "bar (a: 0 429s and ratio >= 0.9 for both; b: <= 1.1 getOrder calls per order, 0 429s; c: 0 429s):",
    ],
    "report_memory": [
        '"daemon_peak_rss_mb"',
        '"idle_daemon_peak_rss_mb"',
        '"peak_over_idle"',
        '"throughput_mib_per_s"',
        '"handler_process_peak_rss_mb"',
        '"naive_estimated_peak_rss_mb_for_document"',
        '"sha256_matches": true',
        '"bar_daemon_peak_rss_under_100_mb"',
    ],
}


def readme_section() -> str:
    text = README.read_text()
    start = text.find(f"\n{SECTION}\n")
    assert start >= 0, f"README.md has no {SECTION!r} section"
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def readme_commands() -> dict[str, str]:
    """Bench name -> the command README.md shows for it."""
    commands: dict[str, str] = {}
    for command, name in COMMAND.findall(readme_section()):
        assert name not in commands, f"README.md shows bench.{name} twice"
        commands[name] = command
    return commands


def bench_modules() -> set[str]:
    """The benches: bench/ modules with a ``main`` (the others are what benches share)."""
    return {path.stem for path in (ROOT / "bench").glob("*.py") if "\ndef main(" in path.read_text()}


def quick_argv(command: str) -> list[str]:
    argv = shlex.split(command)
    assert argv[0] == PYTHON, command
    return [sys.executable, *argv[1:], "--quick"]


def test_readme_names_every_bench() -> None:
    commands = readme_commands()
    missing = bench_modules() - set(commands)
    assert not missing, (
        f"README.md's {SECTION} section shows no `{PYTHON} -m bench.NAME` for {sorted(missing)}"
    )
    unknown = set(commands) - bench_modules()
    assert not unknown, f"README.md shows benches that bench/ does not have: {sorted(unknown)}"
    assert not re.search(r"python\S* bench/\w+\.py", readme_section()), (
        "benches run as modules (-m bench.NAME)"
    )
    unlabelled = set(commands) - set(LABELS)
    assert not unlabelled, f"say which figures {sorted(unlabelled)} print: add them to LABELS"


def test_a_bench_run_as_a_script_says_how_to_run_it() -> None:
    # As a script, bench/consumer.py would be imported as `consumer` (the ModuleNotFoundError).
    run = subprocess.run(
        [sys.executable, "bench/ratelimit.py", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1
    assert "-m bench.ratelimit" in run.stderr, run.stderr


class QuickRun:
    """One bench's ``--quick`` run in a process group of its own, its output going to ``output``; a thread
    notes when it ends."""

    def __init__(self, argv: list[str], env: dict[str, str], output: IO[bytes]) -> None:
        self.argv, self.output = argv, output
        self.started = time.monotonic()
        self.ended: float | None = None
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._waiter = threading.Thread(target=self._wait, daemon=True)
        self._waiter.start()

    def _wait(self) -> None:
        self.process.wait()
        self.ended = time.monotonic()

    def finish(self, deadline: float) -> tuple[int, str, float]:
        """Wait until ``deadline`` (time.monotonic); returns exit code, output and seconds taken."""
        self._waiter.join(max(0.0, deadline - time.monotonic()))
        if self._waiter.is_alive():
            self.stop()
            pytest.fail(f"{shlex.join(self.argv)} did not finish within {DEADLINE:.0f}s:\n{self.read()}")
        assert self.process.returncode is not None
        assert self.ended is not None
        return self.process.returncode, self.read(), self.ended - self.started

    def read(self) -> str:
        self.output.seek(0)
        return self.output.read().decode(errors="replace")

    def stop(self) -> None:
        """Interrupt a bench still running (its cleanup stops what it started), then kill whatever is left
        of its process group."""
        if not self._waiter.is_alive():
            return
        self.process.send_signal(signal.SIGINT)
        self._waiter.join(20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self._waiter.join()


@pytest.fixture(scope="module")
def quick_runs(
    request: pytest.FixtureRequest, postgres_server: PostgresServer
) -> Iterator[dict[str, QuickRun]]:
    """The selected benches' quick runs, all started at once."""
    selected = {
        item.callspec.params["name"]
        for item in request.session.items
        if isinstance(item, pytest.Function)
        and item.module is request.module
        and "name" in getattr(getattr(item, "callspec", None), "params", {})
    }
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SPAPI_NOTIFY_", "AWS_"))}
    env[EXTERNAL_URL_ENV] = postgres_server.dsn(postgres_server.admin_database)
    runs: dict[str, QuickRun] = {}
    with contextlib.ExitStack() as stack:
        for name, command in readme_commands().items():
            if name not in selected:
                continue
            output = stack.enter_context(tempfile.TemporaryFile())
            runs[name] = QuickRun(quick_argv(command), env, output)
            stack.callback(runs[name].stop)
        yield runs


@pytest.mark.slow
@pytest.mark.timeout(DEADLINE + 60)
@pytest.mark.parametrize("name", sorted(readme_commands()))
def test_quick_run(name: str, quick_runs: dict[str, QuickRun]) -> None:
    run = quick_runs[name]
    code, output, seconds = run.finish(run.started + DEADLINE)
    print(f"{shlex.join(run.argv)}: exit {code} after {seconds:.1f}s\n{output}")
    assert code == 0, f"{shlex.join(run.argv)} exited with {code}:\n{output}"
    missing = [label for label in LABELS.get(name, []) if label not in output]
    assert not missing, f"{shlex.join(run.argv)} did not print {missing}:\n{output}"
