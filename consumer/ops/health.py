"""Liveness, readiness, /metrics and /status over HTTP, served from a thread so a wedged event loop is
still seen.

The event loop reports in (``loop_tick``, ``receive_ok``, ``database_ok``); the HTTP thread only reads those
times. /healthz fails when the loop stopped ticking; /readyz also when SQS or the database is unreachable,
or the daemon is shutting down. /status renders the newest snapshot the event loop published on the
StatusBoard (consumer.ops.status): the HTTP thread never queries the database itself.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

from consumer.ops.status import StatusBoard
from consumer.ops.status_page import render_status

Clock = Callable[[], float]
StartResponse = Callable[..., Any]
# How long a /status request waits for the event loop to publish a fresh snapshot before showing the newest.
STATUS_WAIT_SECONDS = 2.0


@dataclass
class HealthState:
    """Times are time.monotonic(); None means never."""

    stale_after: float = 60.0
    clock: Clock = time.monotonic
    started_at: float = field(default_factory=time.monotonic)
    loop_ticked_at: float | None = None
    receive_ok_at: float | None = None
    receive_error: str | None = None
    database_ok_at: float | None = None
    database_error: str | None = None
    stopping: bool = False

    def loop_tick(self) -> None:
        self.loop_ticked_at = self.clock()

    def receive_ok(self) -> None:
        self.receive_ok_at = self.clock()
        self.receive_error = None

    def receive_failed(self, error: str) -> None:
        self.receive_error = error

    def database_ok(self) -> None:
        self.database_ok_at = self.clock()
        self.database_error = None

    def database_failed(self, error: str) -> None:
        self.database_error = error

    def _fresh(self, at: float | None) -> bool:
        return at is not None and self.clock() - at <= self.stale_after

    def live(self) -> tuple[bool, dict[str, Any]]:
        ok = self._fresh(self.loop_ticked_at)
        return ok, {"status": "ok" if ok else "event loop not responding"}

    def ready(self) -> tuple[bool, dict[str, Any]]:
        checks = {
            "event_loop": self._fresh(self.loop_ticked_at),
            "sqs": self._fresh(self.receive_ok_at) and self.receive_error is None,
            "database": self._fresh(self.database_ok_at) and self.database_error is None,
            "accepting": not self.stopping,
        }
        ok = all(checks.values())
        detail: dict[str, Any] = {"status": "ok" if ok else "not ready", "checks": checks}
        errors = {"sqs": self.receive_error, "database": self.database_error}
        detail["errors"] = {k: v for k, v in errors.items() if v}
        return ok, detail


def health_app(
    state: HealthState, registry: CollectorRegistry, board: StatusBoard | None = None
) -> Callable[..., Iterable[bytes]]:
    """The WSGI app answering /healthz, /readyz (JSON, 503 when failing), /metrics and, with a ``board``,
    /status (HTML)."""
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path in ("/healthz", "/readyz"):
            ok, detail = state.live() if path == "/healthz" else state.ready()
            body = json.dumps(detail).encode()
            status = "200 OK" if ok else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/metrics":
            result: Iterable[bytes] = metrics(environ, start_response)
            return result
        if path == "/status" and board is not None:
            snapshot = board.fresh(STATUS_WAIT_SECONDS)
            page = render_status(snapshot, state.ready(), datetime.now(UTC)).encode()
            start_response(
                "200 OK",
                [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Length", str(len(page))),
                    ("Cache-Control", "no-store"),
                ],
            )
            return [page]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /metrics, /healthz, /readyz or /status\n"]

    return app


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Probes hit these endpoints every few seconds: no access log."""


class HealthServer:
    """The health and metrics endpoints on a thread of their own; ``port`` is the one actually bound."""

    def __init__(
        self,
        state: HealthState,
        registry: CollectorRegistry,
        host: str,
        port: int,
        board: StatusBoard | None = None,
    ) -> None:
        self._server = make_server(
            host,
            port,
            health_app(state, registry, board),
            server_class=_ThreadingServer,
            handler_class=_QuietHandler,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="spapi-notify-health", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
