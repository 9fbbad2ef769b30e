"""A daemon whose database does not answer at start-up waits for it with backoff, saying so on every attempt,
then gives up after SPAPI_NOTIFY_STARTUP_TIMEOUT with one line and exit status 2: no traceback, no password.
(That it carries on when the database comes back in time is in test_database_outage.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.fixtures.daemon_process import cli_env, command, events, free_port
from tests.fixtures.queues import Queues

PASSWORD = "startup-pass-Zk4q"


def test_a_database_that_never_answers_ends_the_start_up_with_one_line(
    moto_server: str, queues: Queues, tmp_path: Path
) -> None:
    url = f"postgresql+asyncpg://spapi:{PASSWORD}@127.0.0.1:{free_port()}/spapi"
    env = cli_env(
        moto_server,
        queue_url=queues.url,
        database_url=url,
        startup_timeout="1.5",
        metrics_port="",
        log_format="json",
    )
    done = subprocess.run(
        command("run"), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    (tmp_path / "stderr.log").write_text(done.stderr)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: the database postgresql+asyncpg://spapi:***@127.0.0.1:"), last
    assert "did not answer within 1.5 s" in last
    waited = events(tmp_path / "stderr.log", "database.waiting")
    assert len(waited) >= 2
    assert all("ConnectionRefusedError" in line["error"] for line in waited)
    assert all(PASSWORD not in str(line) for line in waited)
