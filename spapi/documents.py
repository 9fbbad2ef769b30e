"""Streaming download of a report document from its presigned URL, decompressed in bounded memory.

The document arrives in chunks; GZIP documents are inflated incrementally with at most ``MAX_PIECE`` bytes of
output per step (so a highly compressible document cannot balloon memory), and each piece is handed to an
async sink as it is produced. A broken transfer resumes with an HTTP Range request from the last byte
received. Amazon's URLs expire five minutes after getReportDocument returns them, so a restart after that
point (or a 403 from storage) first fetches a fresh URL.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from spapi.errors import DocumentDownloadError
from spapi.http import Http, HttpTransportError
from spapi.models.reports import ReportDocument

log = structlog.get_logger("spapi.documents")

CHUNK = 256 * 1024
MAX_PIECE = 1024 * 1024
# Amazon's presigned document URLs last 5 minutes; refresh a little before that.
URL_LIFETIME = 270.0

Sink = Callable[[bytes], Awaitable[None]]
FetchDocument = Callable[[], Awaitable[ReportDocument]]


@dataclass(frozen=True)
class DownloadedDocument:
    """A finished download: sizes in bytes (as received and as transferred) and the sha256.

    ``url_fetches`` counts getReportDocument calls; ``resumes`` the attempts after the first.
    """

    report_document_id: str
    size_bytes: int
    compressed_bytes: int
    sha256: str
    compression: str | None
    url_fetches: int
    resumes: int


class _Inflater:
    """Incremental gunzip of possibly multi-member GZIP, in pieces of at most MAX_PIECE bytes."""

    def __init__(self) -> None:
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> list[bytes]:
        pieces = []
        while data:
            piece = self._z.decompress(data, MAX_PIECE)
            if piece:
                pieces.append(piece)
            if self._z.unconsumed_tail:
                data = self._z.unconsumed_tail
            elif self._z.eof and self._z.unused_data:
                data = self._z.unused_data
                self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
            else:
                data = b""
        return pieces

    def finish(self) -> bytes:
        tail = self._z.flush()
        if not self._z.eof:
            raise DocumentDownloadError("the GZIP report document ended before its end-of-stream marker")
        return tail


class _Refused(Exception):
    """Storage refused the presigned URL (expired or invalid): fetch a fresh one and try again."""


class _Busy(Exception):
    """Storage answered 429 or 5xx: try again (resuming where the transfer stopped)."""


_RETRIED = (HttpTransportError, _Refused, _Busy)


class _Transfer:
    """State of one document download across resumed attempts."""

    def __init__(self, sink: Sink, gzip: bool) -> None:
        self.sink = sink
        self.inflater = _Inflater() if gzip else None
        self.hasher = hashlib.sha256()
        self.size = 0
        self.offset = 0

    async def emit(self, piece: bytes) -> None:
        self.hasher.update(piece)
        self.size += len(piece)
        await self.sink(piece)

    async def feed(self, chunk: bytes) -> None:
        self.offset += len(chunk)
        if self.inflater is None:
            await self.emit(chunk)
        else:
            for piece in self.inflater.feed(chunk):
                await self.emit(piece)

    async def finish(self) -> None:
        if self.inflater is not None:
            tail = self.inflater.finish()
            if tail:
                await self.emit(tail)


class DocumentDownloader:
    """Downloads report documents: retries, resumes with Range, and fetches a fresh URL once one expires."""

    def __init__(
        self,
        http: Http,
        *,
        max_attempts: int = 6,
        backoff_initial: float = 0.5,
        backoff_max: float = 20.0,
        url_lifetime: float = URL_LIFETIME,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._http = http
        self._max_attempts = max_attempts
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._url_lifetime = url_lifetime
        self._clock = clock
        self._sleep = sleep

    async def download(self, fetch: FetchDocument, sink: Sink) -> DownloadedDocument:
        """Stream the document to ``sink`` (decompressed); size and sha256 are of what the sink received."""
        document = await fetch()
        fetched_at = self._clock()
        url_fetches = 1
        gzip = (document.compression_algorithm or "").upper() == "GZIP"
        if document.compression_algorithm and not gzip:
            raise DocumentDownloadError(
                f"report document {document.report_document_id}: unsupported compressionAlgorithm "
                f"{document.compression_algorithm!r}"
            )
        transfer = _Transfer(sink, gzip)
        resumes = 0
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_RETRIED),
            wait=wait_random_exponential(multiplier=self._backoff_initial, max=self._backoff_max),
            stop=stop_after_attempt(self._max_attempts),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        log.warning(
                            "spapi.document_resume",
                            report_document_id=document.report_document_id,
                            offset=transfer.offset,
                            attempt=attempt.retry_state.attempt_number,
                        )
                    if self._clock() - fetched_at > self._url_lifetime:
                        document = await fetch()
                        fetched_at = self._clock()
                        url_fetches += 1
                    try:
                        await self._transfer(document, transfer)
                    except _Refused:
                        fetched_at = -float("inf")
                        raise
                    resumes = attempt.retry_state.attempt_number - 1
        except _RETRIED as exc:
            cause = exc.cause if isinstance(exc, HttpTransportError) else exc
            raise DocumentDownloadError(
                f"report document {document.report_document_id}: download failed "
                f"{self._max_attempts} times, last: {type(cause).__name__}: {cause}"
            ) from None
        await transfer.finish()
        return DownloadedDocument(
            report_document_id=document.report_document_id,
            size_bytes=transfer.size,
            compressed_bytes=transfer.offset,
            sha256=transfer.hasher.hexdigest(),
            compression="GZIP" if gzip else None,
            url_fetches=url_fetches,
            resumes=resumes,
        )

    async def _transfer(self, document: ReportDocument, transfer: _Transfer) -> None:
        offset = transfer.offset
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        async with self._http.stream(document.url, headers=headers) as response:
            status = response.status_code
            if status in (400, 403):
                await response.read()
                raise _Refused(f"HTTP {status} from storage")
            if status in (429, 500, 502, 503, 504):
                raise _Busy(f"HTTP {status} from storage")
            if status not in (200, 206):
                raise DocumentDownloadError(
                    f"report document {document.report_document_id}: HTTP {status} from storage"
                )
            # A server that ignores Range sends everything again: skip what we already have.
            skip = offset if status == 200 else 0
            async for chunk in response.chunks(CHUNK):
                if skip >= len(chunk):
                    skip -= len(chunk)
                    continue
                await transfer.feed(chunk[skip:] if skip else chunk)
                skip = 0
