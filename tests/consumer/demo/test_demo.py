"""`spapi-notify demo`, the README's first command, run as a newcomer would: a subprocess, nothing set up."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from consumer.cli.main import app
from tests.fixtures.paths import REPO


def run_demo(directory: Path) -> subprocess.CompletedProcess[str]:
    """`spapi-notify demo --dir DIRECTORY` in a subprocess with no AWS or SPAPI_NOTIFY_* settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "SPAPI_NOTIFY_")) or key == "SPAPI_NOTIFY_TEST_POSTGRES_URL"
    }
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "consumer", "demo", "--dir", str(directory)],
        cwd=directory.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_the_demo_runs_the_whole_product_offline_and_exits_0(tmp_path: Path) -> None:
    directory = tmp_path / "demo"
    done = run_demo(directory)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "created destination demo-queue" in out
    assert out.count("created subscription") == 9  # 3 sellers x 3 types
    assert "no changes: Amazon already holds the desired state" in out  # the second apply
    assert "ledger: 7 processed; 1 duplicate delivery skipped" in out
    assert "order 903-8868176-2219830: SHIPPED" in out
    assert "listing A3AYAZLIQ7AX77/NLS-SHOES-04: DELETED" in out
    assert "(reason: malformed_json)" in out
    # The delivery check against the demo's own queue and the sandbox: nothing to fix, nothing unchecked.
    assert "spapi-notify doctor (the delivery check)" in out
    assert re.search(r"doctor: \d+ passed, 0 failed, \d+ skipped, 0 could not check", out), out

    with sqlite3.connect(directory / "spapi-notify.db") as db:
        assert db.execute("select order_status from orders").fetchall() == [("SHIPPED",)]
        reports = dict(db.execute("select processing_status, sha256 from reports").fetchall())
        assert set(reports) == {"DONE", "CANCELLED"}
        statuses = dict(db.execute("select status, count(*) from notifications group by status").fetchall())
        assert statuses == {"processed": 7}
        assert db.execute("select notification_type from notification_events").fetchall() == [
            ("ANY_OFFER_CHANGED",)
        ]
    stored = list((directory / "reports").rglob("54517018503"))
    assert len(stored) == 1
    assert stored[0].read_bytes().startswith(b"order-id\torder-item-id")

    again = run_demo(directory)
    assert again.returncode == 0, again.stderr  # its own directory is emptied and reused


def test_the_demo_never_empties_a_directory_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "not made by the demo" in result.output
    assert (tmp_path / "precious.txt").read_text() == "keep me"
