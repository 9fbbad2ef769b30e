"""Run the sandbox with uvicorn on a background thread, on a port the OS picks."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from types import TracebackType

import uvicorn

from spapi.sandbox.app import create_app
from spapi.sandbox.lwa import LWA_PATH
from spapi.sandbox.state import SandboxState

_START_TIMEOUT = 10.0
_POLL = 0.005


class _Uvicorn(uvicorn.Server):
    """uvicorn, stopping in milliseconds rather than its ~0.2 s (a 0.1 s tick plus a fixed 0.1 s sleep).

    Test suites start one sandbox per test, so shutdown latency is most of their run time.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def request_exit(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(wake.set)

    async def main_loop(self) -> None:
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        counter = 0
        # on_tick refreshes the Date header and reports should_exit; the event cuts the wait short.
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        servers = getattr(self, "servers", None)
        server_state = getattr(self, "server_state", None)
        if servers is None or server_state is None:
            await super().shutdown(sockets=sockets)
            return
        for server in servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(server_state.connections):
            connection.shutdown()  # idle keep-alive connections close now, busy ones after their response
        in_flight = list(server_state.tasks)
        if in_flight:
            _, late = await asyncio.wait(in_flight, timeout=self.config.timeout_graceful_shutdown)
            for task in late:
                task.cancel()
        await asyncio.sleep(0)  # closed transports report connection_lost on the next iteration
        for server in servers:
            await server.wait_closed()


class SandboxServer:
    """``with SandboxServer(state) as server:`` serves SP-API at ``server.url``, LWA at ``server.lwa_url``."""

    def __init__(self, state: SandboxState, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._server: _Uvicorn | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the sandbox server is not running")
        return self._port

    @property
    def url(self) -> str:
        """The SP-API base URL, e.g. ``http://127.0.0.1:54321``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def lwa_url(self) -> str:
        return f"{self.url}{LWA_PATH}"

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the sandbox server is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto must say TCP: asyncio sets TCP_NODELAY only on accepted sockets whose proto is IPPROTO_TCP,
        # and without it every keep-alive response waits ~40 ms for the client's delayed ACK (Nagle).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Binding here, not in uvicorn, is how port 0 becomes a known port before anyone connects.
        sock.bind((self.host, self._requested_port))
        sock.listen(1024)
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_app(self.state),
            log_config=None,  # leave the host application's logging configuration alone
            log_level="warning",
            access_log=False,  # request lines would carry presigned URL signatures
            server_header=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=30,
        )
        server = _Uvicorn(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="spapi-sandbox", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self._server = self._thread = None
                self._port = None
                sock.close()
                raise RuntimeError("the sandbox server did not start")
            time.sleep(_POLL)

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.request_exit()
        thread.join(timeout=10)
        self._server = self._thread = None
        self._port = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> SandboxServer:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    def __repr__(self) -> str:
        where = self.url if self._port is not None else "stopped"
        return f"SandboxServer({where})"
