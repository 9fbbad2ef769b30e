"""The presigned-URL side of report documents: an S3 imitation that streams, resumes and expires.

No SP-API token is needed (the URL is the credential), Range ``bytes=N-`` / ``bytes=N-M`` gives a 206 so a
client can resume, an expired URL gets S3's 403 XML. A callable document is produced chunk by chunk in a
worker thread, so a gigabyte stream costs bounded memory and does not stall the event loop.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from spapi.sandbox.documents import StoredDocument, parse_range
from spapi.sandbox.errors import s3_error_xml
from spapi.sandbox.faults import Break
from spapi.sandbox.responders import Endpoint
from spapi.sandbox.state import SandboxState, document_fault_key
from spapi.sandbox.transport import ConnectionDropped, abort

_PIECE = 256 * 1024


def _s3_error(status: int, code: str, message: str, request_id: str) -> Response:
    return Response(
        s3_error_xml(code, message, request_id),
        status_code=status,
        headers={"content-type": "application/xml", "x-amz-request-id": request_id},
    )


def document_endpoint(state: SandboxState) -> Endpoint:
    """Serves presigned document URLs the way S3 does: 404 or 403 when refused, 206 for a Range."""

    async def endpoint(request: Request) -> Response:
        document_id = request.path_params["document_id"]
        request_id = uuid.uuid4().hex[:16].upper()
        signature = request.query_params.get("X-Amz-Signature", "")
        with state.lock:
            document = state.documents.get(document_id)
            grant = state.grants.get(signature)
            now = state.clock()
        if document is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.", request_id)
        if grant is None or grant.document_id != document_id:
            return _s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
                request_id,
            )
        if now >= grant.expires_at:
            return _s3_error(403, "AccessDenied", "Request has expired", request_id)
        wanted = parse_range(request.headers.get("range"))
        size = document.size
        if wanted is not None and size is None:
            size = await anyio.to_thread.run_sync(_measure, document)
            with state.lock:
                document.size = size
        cut = None
        if request.method != "HEAD":
            with state.lock:
                state.document_downloads[document_id] += 1
                cut = state.faults.take_break(document_fault_key(document_id))
        headers = {
            "content-type": "application/octet-stream",
            "accept-ranges": "bytes",
            "x-amz-request-id": request_id,
        }
        if wanted is None:
            if size is not None:
                headers["content-length"] = str(size)
            return DocumentResponse(
                state, document, start=0, stop=size, status=200, headers=headers, cut_after=_cut(cut)
            )
        assert size is not None
        if wanted.start >= size:
            return _s3_error(416, "InvalidRange", "The requested range is not satisfiable", request_id)
        end = size - 1 if wanted.end is None else min(wanted.end, size - 1)
        headers["content-range"] = f"bytes {wanted.start}-{end}/{size}"
        headers["content-length"] = str(end - wanted.start + 1)
        return DocumentResponse(
            state,
            document,
            start=wanted.start,
            stop=end + 1,
            status=206,
            headers=headers,
            cut_after=_cut(cut),
        )

    return endpoint


def _cut(cut: Break | None) -> int | None:
    return None if cut is None else cut.after_bytes


def _next_chunk(pieces: Iterator[bytes]) -> bytes | None:
    chunk = next(pieces, None)
    return None if chunk is None else bytes(chunk)


def _measure(document: StoredDocument) -> int:
    return sum(len(chunk) for chunk in document.chunks())


class DocumentResponse(Response):
    """Streams bytes [start, stop) of a document; closes the connection after ``cut_after`` bytes if set."""

    def __init__(
        self,
        state: SandboxState,
        document: StoredDocument,
        *,
        start: int,
        stop: int | None,
        status: int,
        headers: dict[str, str],
        cut_after: int | None,
    ) -> None:
        super().__init__(status_code=status)
        # Replace Starlette's headers: it would announce Content-Length 0 for a body it has not been given.
        self.raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        self._state = state
        self._document = document
        self._start = start
        self._stop = stop
        self._cut_after = cut_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if scope.get("method") == "HEAD":
            # S3 answers HEAD with the GET headers (size, ranges) and no body.
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        sent = 0
        # Bytes documents are sliced from the range start; streams are read from their beginning.
        position = self._start if isinstance(self._document.content, bytes) else 0
        complete = True
        pieces = self._pieces()
        try:
            while True:
                chunk = await self._next(pieces)
                if chunk is None:
                    break
                begin, end = position, position + len(chunk)
                position = end
                if end <= self._start:
                    continue
                if self._stop is not None and begin >= self._stop:
                    break
                lo = max(self._start - begin, 0)
                hi = len(chunk) if self._stop is None else min(len(chunk), self._stop - begin)
                piece = chunk[lo:hi]
                if self._cut_after is not None and sent + len(piece) > self._cut_after:
                    piece = piece[: self._cut_after - sent]
                    if piece:
                        await send({"type": "http.response.body", "body": piece, "more_body": True})
                    await self._drop(scope)
                    return
                await send({"type": "http.response.body", "body": piece, "more_body": True})
                sent += len(piece)
        except BaseException:
            complete = False
            raise
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()
        if self._cut_after is not None and sent >= self._cut_after:
            await self._drop(scope)
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        if complete and self._start == 0 and self._stop is None:
            with self._state.lock:
                self._document.size = position

    def _pieces(self) -> Iterator[bytes]:
        content = self._document.content
        if isinstance(content, bytes):
            view = memoryview(content)
            return (bytes(view[i : i + _PIECE]) for i in range(self._start, len(view), _PIECE))
        return self._document.chunks()

    async def _next(self, pieces: Iterator[bytes]) -> bytes | None:
        if isinstance(self._document.content, bytes):
            return next(pieces, None)
        # Producing a chunk may mean compressing megabytes: keep that off the event loop.
        return await anyio.to_thread.run_sync(_next_chunk, pieces)

    async def _drop(self, scope: Scope) -> None:
        if not await abort(scope):
            raise ConnectionDropped("document transfer cut by the sandbox")
