"""Report documents the fake serves from presigned URLs: storage, incremental GZIP, URLs and Range parsing."""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import quote, urlencode

DocumentContent = bytes | Callable[[], Iterable[bytes]]
Compression = Literal["GZIP"] | None

DOCUMENTS_PATH = "/_sandbox/documents"
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WBITS = 16 + zlib.MAX_WBITS


def gzip_stream(chunks: Iterable[bytes], level: int = 6) -> Iterator[bytes]:
    """GZIP ``chunks`` incrementally: memory stays bounded whatever the total size.

    Lower ``level`` (1) for multi-gigabyte test documents, where compression time dominates.
    """
    compressor = zlib.compressobj(level, zlib.DEFLATED, _GZIP_WBITS)
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    tail = compressor.flush()
    if tail:
        yield tail


@dataclass
class StoredDocument:
    """A report document the sandbox serves: bytes, or a callable producing chunks, stored as Amazon would."""

    document_id: str
    content: DocumentContent
    compression: Compression
    # Known up front for bytes; learned for streams (a Range request needs the total for Content-Range).
    size: int | None

    def chunks(self) -> Iterator[bytes]:
        if isinstance(self.content, bytes):
            return iter((self.content,))
        return iter(self.content())

    @classmethod
    def create(cls, document_id: str, content: DocumentContent, compression: Compression) -> StoredDocument:
        if compression not in ("GZIP", None):
            raise ValueError(f"compression must be 'GZIP' or None, got {compression!r}")
        if isinstance(content, bytes):
            if compression == "GZIP" and content and not content.startswith(_GZIP_MAGIC):
                # Amazon stores GZIP documents already compressed; catching plain bytes here saves a confusing
                # decompression error in the client under test.
                raise ValueError("compression='GZIP' needs GZIP bytes: wrap plain content with gzip.compress")
            return cls(document_id, content, compression, len(content))
        if not callable(content):
            raise TypeError("content must be bytes or a zero-argument callable returning byte chunks")
        return cls(document_id, content, compression, None)


@dataclass(frozen=True)
class Grant:
    """One presigned URL: which document it opens and until when (state clock)."""

    document_id: str
    expires_at: float


def new_signature() -> str:
    """A random X-Amz-Signature for a presigned URL; it is also the key of the URL's grant."""
    return secrets.token_hex(32)


def presigned_url(base_url: str, document_id: str, signature: str, ttl: float) -> str:
    """A URL shaped like S3's SigV4 presigned GET, pointing back at the fake."""
    query = urlencode(
        {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Date": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
            "X-Amz-Expires": str(int(ttl)),
            "X-Amz-SignedHeaders": "host",
            "X-Amz-Signature": signature,
        }
    )
    return f"{base_url}{DOCUMENTS_PATH}/{quote(document_id, safe='')}?{query}"


@dataclass(frozen=True)
class ByteRange:
    """A parsed ``Range: bytes=start-end``; ``end`` is inclusive, None for up to the end."""

    start: int
    end: int | None  # inclusive, as in the header; None = to the end


def parse_range(header: str | None) -> ByteRange | None:
    """``bytes=N-`` or ``bytes=N-M``; anything else (suffix or multiple ranges) is ignored, as S3 does."""
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash or not first.isdigit() or (last and not last.isdigit()):
        return None
    start = int(first)
    end = int(last) if last else None
    if end is not None and end < start:
        return None
    return ByteRange(start, end)
