"""The HTTP layer under the SP-API client: one aiohttp session, and the small response every caller reads.

aiohttp, not httpx: measured against the sandbox, a GET costs 0.22 ms of CPU through aiohttp and 1.97 ms
through httpx's async path (anyio, httpcore; README "Why this HTTP client"); aiohttp is installed anyway
(aiobotocore's transport). The session is made on first use, inside the running event loop, and shared by
every part of one client (API calls, LWA, document downloads, the regional clients).

A request is sent exactly as given: the URL (query included) is already encoded and the body is bytes, so
what SigV4 signed is what goes on the wire. Failures to get an answer (refused, reset, a timeout) are
``HttpTransportError``; callers turn them into their own typed errors.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

# How many bytes of a streamed body are handed on at a time.
STREAM_CHUNK = 256 * 1024


class HttpTransportError(Exception):
    """No HTTP answer: the connection failed, broke, or timed out. ``cause`` is the underlying error."""

    def __init__(self, cause: BaseException) -> None:
        self.cause = cause
        super().__init__(f"{type(cause).__name__}: {cause}")


@dataclass(frozen=True)
class HttpResponse:
    """A whole response: status, headers (case-insensitive) and the body as received."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; ValueError when it is not JSON."""
        return json.loads(self.content)


@dataclass(frozen=True)
class StreamedResponse:
    """A response whose body is read piece by piece (``chunks``), undecoded, as the server sent it."""

    status_code: int
    headers: Mapping[str, str]
    _response: aiohttp.ClientResponse

    async def chunks(self, size: int = STREAM_CHUNK) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(size):
                yield chunk
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise HttpTransportError(exc) from exc

    async def read(self) -> bytes:
        try:
            return await self._response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise HttpTransportError(exc) from exc


class Http:
    """One pooled aiohttp session with the client's timeouts; ``aclose`` when done.

    ``timeout``: the most seconds to wait for a free connection, and between two reads of an answer;
    connecting itself may take 10 s. ``user_agent`` goes with every request.
    """

    def __init__(self, timeout: float, *, user_agent: str, connections: int = 100) -> None:
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout, sock_connect=10.0, sock_read=timeout
        )
        self._user_agent = user_agent
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None
        # HTTP(S)_PROXY and NO_PROXY, read once: aiohttp's trust_env reads them (in a thread) per request.
        self._proxies = {k: v for k, v in urllib.request.getproxies().items() if k in ("http", "https")}
        self._proxy_for: dict[tuple[str, str], str | None] = {}

    def __repr__(self) -> str:
        return f"Http(timeout={self._timeout.sock_read})"

    def _current(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                timeout=self._timeout,
                headers={"user-agent": self._user_agent},
                # Bodies are handed on as sent: a GZIP report document is inflated by its reader, not here.
                auto_decompress=False,
            )
            # aiohttp resends an idempotent request once, by itself, when a kept-alive connection breaks
            # before the answer. Every attempt must go through the rate budget, the retry policy and the
            # metrics instead (tests/spapi/test_observer.py fails if this stops working).
            self._session._retry_connection = False
        return self._session

    def _proxy(self, url: str) -> str | None:
        if not self._proxies:
            return None
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._proxy_for:
            bypass = urllib.request.proxy_bypass(parts.hostname or "")
            self._proxy_for[key] = None if bypass else self._proxies.get(parts.scheme)
        return self._proxy_for[key]

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        form: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """Send one request (``url`` already encoded) and read its whole answer."""
        try:
            async with self._current().request(
                method,
                URL(url, encoded=True),
                headers=dict(headers or {}),
                data=form if form is not None else body,
                proxy=self._proxy(url),
                # API answers are small JSON: let the server compress them, and inflate them here.
                auto_decompress=True,
            ) as response:
                content = await response.read()
                return HttpResponse(response.status, response.headers, content)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise HttpTransportError(exc) from exc

    @asynccontextmanager
    async def stream(
        self, url: str, *, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[StreamedResponse]:
        """``async with http.stream(url) as response``: a GET whose body is read in chunks, undecoded."""
        try:
            async with self._current().get(
                URL(url, encoded=True),
                headers={**(headers or {}), "accept-encoding": "identity"},
                proxy=self._proxy(url),
            ) as response:
                yield StreamedResponse(response.status, response.headers, response)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise HttpTransportError(exc) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
