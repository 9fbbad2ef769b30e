"""``spapi-notify doctor`` as a command: readable lines with the fix under each failure, exit codes, and
no secret in its output."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from consumer.cli.main import app

SECRET = "key-DO-NOT-PRINT-5e1a"


def test_a_missing_database_and_queue_read_as_failures_with_their_fix(tmp_path: Path) -> None:
    env = {
        "SPAPI_NOTIFY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'absent.db'}",
        "SPAPI_NOTIFY_APPLICATION_ID": "amzn1.sp.solution.0f6c2a1e-1111-4222-8333-944455556666",
        "SPAPI_NOTIFY_ENCRYPTION_KEY": SECRET,
    }
    result = CliRunner().invoke(app, ["doctor"], env=env)
    lines = result.stdout.splitlines()
    assert result.exit_code == 1
    failure = next(i for i, line in enumerate(lines) if line.startswith("FAIL database.reachable"))
    assert "the SQLite file does not exist" in lines[failure]
    assert (
        lines[failure + 1].strip().startswith("fix: point SPAPI_NOTIFY_DATABASE_URL at the daemon's database")
    )
    assert any(line.startswith("FAIL queue.reachable: SPAPI_NOTIFY_QUEUE_URL is not set") for line in lines)
    assert any(line.startswith("??   traffic: the database is not usable") for line in lines)
    assert any(line.startswith("FAIL settings.lwa_credentials: SPAPI_NOTIFY_LWA_CLIENT_ID") for line in lines)
    assert lines[-1].startswith("doctor: ")
    assert not (tmp_path / "absent.db").exists()  # looked at, not created
    assert SECRET not in result.output


def test_an_invalid_desired_state_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["doctor", "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
