"""/healthz, /readyz and /metrics of a running daemon, and `spapi-notify health` against them."""

from __future__ import annotations

import httpx
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from consumer.cli.main import app
from consumer.ops.health import HealthState, health_app
from tests.builders import steered
from tests.fixtures.clock import FakeClock
from tests.fixtures.daemons import daemon_settings, running
from tests.fixtures.polling import eventually
from tests.fixtures.queues import Queues, send
from tests.fixtures.tables import ledger


async def _get(url: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(url, timeout=5)


async def test_endpoints_of_a_running_daemon(queues: Queues, migrated_url: str, engine: AsyncEngine) -> None:
    async with running(daemon_settings(queues, migrated_url)) as daemon:
        base = f"http://127.0.0.1:{daemon.http_port}"
        ready = await eventually(lambda: _get(f"{base}/readyz"), lambda r: r.status_code == 200, what="ready")
        assert ready.json()["checks"] == {
            "event_loop": True,
            "sqs": True,
            "database": True,
            "accepting": True,
        }
        live = await _get(f"{base}/healthz")
        assert (live.status_code, live.json()) == (200, {"status": "ok"})

        await send(queues.url, steered())
        await eventually(lambda: ledger(engine), lambda rows: len(rows) == 1)
        metrics = (
            await eventually(
                lambda: _get(f"{base}/metrics"),
                lambda r: (
                    'spapi_notify_notifications_processed_total{type="SPAPI_NOTIFY_TEST"} 1.0' in r.text
                ),
            )
        ).text
        for name in (
            "spapi_notify_messages_received_total 1.0",
            "spapi_notify_handler_duration_seconds_count",
            "spapi_notify_message_age_seconds_count 1.0",
            "spapi_notify_in_flight 0.0",
        ):
            assert name in metrics
        assert (await _get(f"{base}/nowhere")).status_code == 404

        runner = CliRunner()
        healthy = runner.invoke(app, ["health", "--url", base], env={"SPAPI_NOTIFY_METRICS_PORT": ""})
        assert healthy.exit_code == 0, healthy.output
        ready_cli = runner.invoke(app, ["health", "--ready", "--url", base])
        assert ready_cli.exit_code == 0, ready_cli.output


def _call(state: HealthState, path: str) -> tuple[str, bytes]:
    seen: list[str] = []
    body = b"".join(
        health_app(state, CollectorRegistry())(
            {"PATH_INFO": path}, lambda status, headers: seen.append(status)
        )
    )
    return seen[0], body


def test_readiness_follows_its_dependencies_and_liveness_the_event_loop(clock: FakeClock) -> None:
    state = HealthState(stale_after=30, clock=clock)
    assert _call(state, "/healthz")[0].startswith("503")  # the loop never ticked
    state.loop_tick()
    state.receive_ok()
    state.database_ok()
    assert _call(state, "/healthz")[0].startswith("200")
    assert _call(state, "/readyz")[0].startswith("200")

    state.database_failed("OperationalError: connection refused")
    status, body = _call(state, "/readyz")
    assert status.startswith("503")
    assert b"connection refused" in body
    assert _call(state, "/healthz")[0].startswith("200")  # a database outage is no reason to restart us

    state.database_ok()
    state.stopping = True
    assert _call(state, "/readyz")[0].startswith("503")

    clock.advance(31)  # the loop stopped ticking: wedged
    assert _call(state, "/healthz")[0].startswith("503")
