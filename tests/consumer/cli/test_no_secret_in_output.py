"""No command prints a secret: every ``spapi-notify`` command (found by walking the typer app, so a new one
cannot be forgotten) runs with distinctive secret settings, at debug level, and none of them appears in what
it writes to stdout or stderr, whether it succeeds or fails."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
import typer
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from consumer.cli.main import app
from spapi.sandbox import SandboxServer, SandboxState
from tests.fixtures.clock import FakeClock
from tests.fixtures.postgres import PostgresServer
from tests.fixtures.queues import Queues
from tests.fixtures.subscription_world import QUEUE_ARN

CLIENT_ID = "amzn1.application-oa2-client.secrets-test"
SELLER = "A1SECRETSTEST"
SECRETS = {
    "client secret": "client-secret-7Kq2-DO-NOT-PRINT",
    "refresh token": "Atzr|shortcut-refresh-Vx81-DO-NOT-PRINT",
    "added refresh token": "Atzr|added-refresh-Pq47-DO-NOT-PRINT",
    "encryption key": Fernet.generate_key().decode(),
    "database password": "db-pass-Hn3w-DO-NOT-PRINT",
    "AWS secret key": "aws-secret-Ld9z-DO-NOT-PRINT",
}
SUBSCRIPTIONS = f"""
[destinations.main]
sqs_arn = "{QUEUE_ARN}"

[[subscriptions]]
sellers = "all"
destination = "main"

  [[subscriptions.types]]
  type = "ORDER_CHANGE"
  payload_version = "1.0"
"""


def commands(group: typer.Typer, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command of the app, as the words that name it (``("sellers", "add")``)."""
    for command in group.registered_commands:
        name = command.name or (command.callback.__name__.replace("_", "-") if command.callback else "")
        yield (*prefix, name)
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        yield from commands(sub.typer_instance, (*prefix, sub.name or ""))


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The commands configure logging onto CliRunner's streams: put the previous configuration back."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = saved
    root.setLevel(level)


@pytest.fixture
def sandbox(clock: FakeClock) -> Iterator[SandboxServer]:
    state = SandboxState(
        clients={CLIENT_ID: SECRETS["client secret"]},
        sellers={SECRETS["refresh token"]: SELLER, SECRETS["added refresh token"]: "A2SECRETSADDED"},
        clock=clock,
    )
    with SandboxServer(state) as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_no_command_prints_a_secret(
    moto_server: str,
    queues: Queues,
    postgres_server: PostgresServer,
    postgres_url: str,
    sandbox: SandboxServer,
    tmp_path: Path,
) -> None:
    database_url = make_url(postgres_url).set(password=SECRETS["database password"])  # trust: any is fine
    unreachable = database_url.set(port=1)
    env = {
        "SPAPI_NOTIFY_LWA_CLIENT_ID": CLIENT_ID,
        "SPAPI_NOTIFY_LWA_CLIENT_SECRET": SECRETS["client secret"],
        "SPAPI_NOTIFY_SELLER_ID": SELLER,
        "SPAPI_NOTIFY_REFRESH_TOKEN": SECRETS["refresh token"],
        "SPAPI_NOTIFY_SELLER_REFRESH_TOKEN": SECRETS["added refresh token"],
        "SPAPI_NOTIFY_ENCRYPTION_KEY": SECRETS["encryption key"],
        "SPAPI_NOTIFY_DATABASE_URL": database_url.render_as_string(hide_password=False),
        "SPAPI_NOTIFY_ENDPOINT": sandbox.url,
        "SPAPI_NOTIFY_LWA_ENDPOINT": sandbox.lwa_url,
        "SPAPI_NOTIFY_QUEUE_URL": queues.url,
        "SPAPI_NOTIFY_METRICS_PORT": "",
        "SPAPI_NOTIFY_LOG_LEVEL": "debug",
        "SPAPI_NOTIFY_SPAPI_MAX_ATTEMPTS": "1",
        "AWS_SECRET_ACCESS_KEY": SECRETS["AWS secret key"],
    }
    config = tmp_path / "subscriptions.toml"
    config.write_text(SUBSCRIPTIONS)
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "precious.txt").write_text("not the demo's")
    # Each command's arguments, and settings of its own; run in this order (db upgrade first).
    runs: dict[tuple[str, ...], tuple[list[str], dict[str, str]]] = {
        ("db", "upgrade"): ([], {}),
        ("settings",): ([], {}),
        ("sellers", "generate-key"): ([], {}),
        ("sellers", "add"): (["A2SECRETSADDED", "-m", "ATVPDKIKX0DER"], {}),
        ("sellers", "list"): (["--json"], {}),
        ("sellers", "rotate-key"): ([], {}),
        ("subscriptions", "plan"): (["--config", str(config)], {}),
        ("subscriptions", "apply"): (["--config", str(config)], {}),
        ("subscriptions", "list"): ([], {}),
        ("subscriptions", "delete"): (["--seller", SELLER, "--type", "ORDER_CHANGE"], {}),
        ("sellers", "remove"): (["A2SECRETSADDED"], {}),
        ("replay",): (["--dry-run"], {}),
        ("changes",): (["--limit", "5"], {}),
        ("reconcile",): (["--dry-run", "--seller", SELLER], {}),
        ("doctor",): (["--config", str(config)], {}),
        ("dlq", "show"): (["no-such-message"], {}),
        ("health",): (["--url", "http://127.0.0.1:1"], {}),
        # Fails after its start-up wait: the error names the database, password masked.
        ("run",): (
            [],
            {
                "SPAPI_NOTIFY_DATABASE_URL": unreachable.render_as_string(hide_password=False),
                "SPAPI_NOTIFY_STARTUP_TIMEOUT": "0.5",
            },
        ),
        ("demo",): (["--dir", str(occupied)], {}),  # refuses a directory it did not make, at once
    }
    assert set(commands(app)) == set(runs), "give every command an entry in `runs`"
    runner = CliRunner()
    printed: dict[tuple[str, ...], str] = {}
    for words, (args, own) in runs.items():
        result = runner.invoke(app, [*words, *args], env={**env, **own})
        output = result.stdout + result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            output += "".join(traceback.format_exception(result.exception))
        leaked = [name for name, value in SECRETS.items() if value in output]
        assert leaked == [], f"`spapi-notify {' '.join(words)}` printed the {', '.join(leaked)}:\n{output}"
        printed[words] = output
    # The commands did their work (or failed where meant to), and named the database with its password masked.
    assert "upgraded from an empty database" in printed["db", "upgrade"]
    assert "created subscription" in printed["subscriptions", "apply"]
    for words in (("settings",), ("run",)):
        assert f"postgres:***@{database_url.host}" in printed[words], printed[words]
