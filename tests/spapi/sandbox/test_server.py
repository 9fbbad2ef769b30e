"""Running the sandbox: in a thread (sync and async), standalone as ``python -m spapi.sandbox``, quietly."""

from __future__ import annotations

import logging
import os
import selectors
import subprocess
import sys
import time

import httpx
import pytest

from spapi.sandbox import SandboxServer, SandboxState
from spapi.sandbox.__main__ import parse_args
from tests.fixtures.sandbox_http import (
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    TLS,
    Tokens,
    fetch_token,
    grantless_grant,
    seller_grant,
)


def test_url_and_lifecycle(state: SandboxState) -> None:
    server = SandboxServer(state)
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url
    with server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.lwa_url == f"{server.url}/auth/o2/token"
        assert server.state is state
        assert repr(server) == f"SandboxServer({server.url})"
        with pytest.raises(RuntimeError, match="already running"):
            server.start()
        with httpx.Client(verify=TLS) as http:
            assert http.post(server.lwa_url, data=seller_grant()).status_code == 200
    server.stop()  # stopping twice is harmless
    assert repr(server) == "SandboxServer(stopped)"


def test_two_servers_side_by_side(state: SandboxState) -> None:
    with SandboxServer(state) as first, SandboxServer(state) as second:
        assert first.port != second.port


def test_stop_closes_the_port(state: SandboxState) -> None:
    with SandboxServer(state) as server:
        url = server.lwa_url
    with httpx.Client(verify=TLS) as http, pytest.raises(httpx.ConnectError):
        http.post(url, data=seller_grant())


async def test_async_context_manager(state: SandboxState) -> None:
    async with SandboxServer(state) as server, httpx.AsyncClient(verify=TLS) as http:
        response = await http.post(server.lwa_url, data=grantless_grant())
        assert response.status_code == 200
        destinations = await http.get(
            f"{server.url}/notifications/v1/destinations",
            headers=Tokens.auth(response.json()["access_token"]),
        )
        assert destinations.status_code == 200
        assert state.calls["notifications.getDestinations"] == 1


def test_record_limit_keeps_the_latest(http: httpx.Client, state: SandboxState) -> None:
    state.record_limit = 5
    for index in range(20):
        http.get(f"/nothing/{index}")
    assert 5 <= len(state.requests) <= 6
    assert state.requests[-1].path == "/nothing/19"
    state.clear_history()
    assert state.requests == []
    assert not state.calls


def test_nothing_secret_is_logged(
    server: SandboxServer,
    http: httpx.Client,
    state: SandboxState,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    token = fetch_token(http, server, seller_grant())
    http.post(server.lwa_url, data=seller_grant(client_secret="wrong-" + CLIENT_SECRET))
    state.inject("orders_2026-01-01.getOrder", 500)
    for _ in range(2):
        http.get("/orders/2026-01-01/orders/1", headers=Tokens.auth(token))
    state.drop_connection("orders_2026-01-01.getOrder")
    with pytest.raises(httpx.TransportError):
        http.get("/orders/2026-01-01/orders/1", headers=Tokens.auth(token))
    state.add_document("doc", b"x", compression=None)
    url = http.get("/reports/2021-06-30/documents/doc", headers=Tokens.auth(token)).json()["url"]
    http.get(url)
    captured = capfd.readouterr()
    # Only the fake's own output: httpx, the test's client, logs URLs at DEBUG by design.
    server_side = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    logged = "\n".join(r.getMessage() for r in server_side) + captured.out + captured.err
    for secret in (CLIENT_SECRET, REFRESH_TOKEN, token, url.split("?")[1]):
        assert secret not in logged


def read_first_line(process: subprocess.Popen[str], timeout: float = 20.0) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if selector.select(timeout=deadline - time.monotonic()):
                return process.stdout.readline().strip()
    raise AssertionError("the sandbox printed no URL in time")


def test_standalone_process() -> None:
    env = {**os.environ, "SPAPI_SANDBOX_CLIENT_SECRET": CLIENT_SECRET}
    command = [
        sys.executable, "-m", "spapi.sandbox", "--host", "127.0.0.1", "--port", "0",
        "--client-id", CLIENT_ID, "--seller", f"{REFRESH_TOKEN}=A9STANDALONE", "--token-ttl", "900",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = read_first_line(process)
        assert url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=url, verify=TLS) as http:
            grant = http.post("/auth/o2/token", data=seller_grant())
            assert grant.json()["expires_in"] == 900
            token = grant.json()["access_token"]
            order = http.get("/orders/2026-01-01/orders/171-9876543-2109876", headers=Tokens.auth(token))
            assert order.status_code == 200
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0
    assert CLIENT_SECRET not in stderr
    assert REFRESH_TOKEN not in stderr


def test_standalone_needs_a_client_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SPAPI_SANDBOX_CLIENT_SECRET", raising=False)
    with pytest.raises(SystemExit) as exited:
        parse_args(["--client-id", CLIENT_ID])
    assert exited.value.code == 2
    assert "client-secret" in capsys.readouterr().err


def test_standalone_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPAPI_SANDBOX_CLIENT_SECRET", CLIENT_SECRET)
    args = parse_args(["--client-id", CLIENT_ID, "--seller", "Atzr|a=b=A1", "--seller", "R2=amzn1.vg.1"])
    assert args.client_secret == CLIENT_SECRET
    assert args.seller == [("Atzr|a=b", "A1"), ("R2", "amzn1.vg.1")]
    with pytest.raises(SystemExit):
        parse_args(["--client-id", CLIENT_ID, "--seller", "no-equals-sign"])
