"""Where report documents are stored: a local directory, or S3 (``s3://bucket/prefix``).

SPAPI_NOTIFY_REPORT_DIR picks the backend. Either way a document is written as a stream of pieces and becomes
visible under its final name only once complete: locally a temporary file in the same directory is fsynced
and renamed over the final name (a rename within one file system is atomic, so a crash leaves at most a
stray ``.*.part`` file, never a truncated document); in S3 a multipart upload is completed, or aborted on
failure. Memory stays bounded by one S3 part, whatever the document's size.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

import structlog

if TYPE_CHECKING:
    import aioboto3
    from types_aiobotocore_s3 import S3Client

log = structlog.get_logger("handlers.report_storage")

S3_SCHEME = "s3://"
# S3 needs parts of at least 5 MiB (all but the last); 8 MiB keeps the part count of a 1 GB document near 130,
# far from the 10,000-part limit, while one buffered part stays a small share of the memory budget.
PART_SIZE = 8 * 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")

_session: aioboto3.Session | None = None


def _aws() -> aioboto3.Session:
    # One session per process: clients made from it share its parsed service models. Imported here, not at
    # the top: botocore costs ~15 MB of RSS, which local storage never needs.
    global _session  # noqa: PLW0603
    if _session is None:
        import aioboto3  # noqa: PLC0415

        _session = aioboto3.Session()
    return _session


def object_key(*parts: str) -> str:
    """A relative key from identifiers Amazon chose; anything outside [A-Za-z0-9._-] becomes ``_``."""
    cleaned = []
    for part in parts:
        safe = _UNSAFE.sub("_", part).strip(".") or "_"
        cleaned.append(safe)
    return "/".join(cleaned)


class Target(Protocol):
    """An open destination: ``write`` pieces in order; ``location`` is where the document ends up."""

    location: str

    async def write(self, data: bytes) -> None: ...


class ReportStorage(Protocol):
    """Where documents go: a local directory or S3."""

    def open(self, key: str) -> AbstractAsyncContextManager[Target]:
        """``async with storage.open(key) as target``: committed on a clean exit, discarded on errors."""
        ...


class LocalTarget:
    """A document being written to a temporary file, renamed to ``location`` once complete."""

    def __init__(self, final: Path, file: IO[bytes], temporary: Path) -> None:
        self.location = str(final)
        self._file = file
        self.temporary = temporary

    async def write(self, data: bytes) -> None:
        # Off the event loop: a slow disk must not stall the pollers and visibility heartbeats.
        await asyncio.to_thread(self._file.write, data)


class LocalStorage:
    """Report documents as files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    @asynccontextmanager
    async def open(self, key: str) -> AsyncIterator[LocalTarget]:
        final = (self.root / key).absolute()
        await asyncio.to_thread(final.parent.mkdir, parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
        temporary = Path(name)
        file = os.fdopen(descriptor, "wb")
        target = LocalTarget(final, file, temporary)
        try:
            yield target
            await asyncio.to_thread(_commit, file, temporary, final)
        except BaseException:
            await asyncio.to_thread(_discard, file, temporary)
            raise


def _commit(file: IO[bytes], temporary: Path, final: Path) -> None:
    with file:
        file.flush()
        # Data on disk before the rename, so a power cut cannot leave an empty file under the final name.
        os.fsync(file.fileno())
    os.replace(temporary, final)
    directory = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _discard(file: IO[bytes], temporary: Path) -> None:
    file.close()
    temporary.unlink(missing_ok=True)


class S3Target:
    """A document being uploaded to S3: one PUT when small, else a multipart upload in ``part_size`` parts."""

    def __init__(self, s3: S3Client, bucket: str, key: str, part_size: int) -> None:
        self.location = f"{S3_SCHEME}{bucket}/{key}"
        self._s3 = s3
        self._bucket = bucket
        self._key = key
        self._part_size = part_size
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    async def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= self._part_size:
            part = bytes(self._buffer[: self._part_size])
            del self._buffer[: self._part_size]
            await self._upload(part)

    async def _upload(self, part: bytes) -> None:
        if self._upload_id is None:
            created = await self._s3.create_multipart_upload(Bucket=self._bucket, Key=self._key)
            self._upload_id = created["UploadId"]
        number = len(self._parts) + 1
        uploaded = await self._s3.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=part
        )
        self._parts.append({"PartNumber": number, "ETag": uploaded["ETag"]})

    async def commit(self) -> None:
        if self._upload_id is None:
            # Smaller than one part: one PUT instead of three multipart calls.
            await self._s3.put_object(Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer))
            self._buffer.clear()
            return
        if self._buffer:
            await self._upload(bytes(self._buffer))
            self._buffer.clear()
        await self._s3.complete_multipart_upload(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},  # type: ignore[typeddict-item]
        )

    async def abort(self) -> None:
        self._buffer.clear()
        if self._upload_id is not None:
            # Unaborted parts are billed until a lifecycle rule removes them.
            await self._s3.abort_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id
            )


class S3Storage:
    """Report documents as S3 objects under ``s3://bucket/prefix``; ``part_size`` in bytes, at least 5 MiB."""

    def __init__(self, bucket: str, prefix: str, *, part_size: int = PART_SIZE) -> None:
        if not bucket:
            raise ValueError("an S3 report location needs a bucket: s3://bucket[/prefix]")
        if part_size < 5 * 1024 * 1024:
            raise ValueError("S3 parts (all but the last) must be at least 5 MiB")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.part_size = part_size

    def __repr__(self) -> str:
        return f"S3Storage({S3_SCHEME}{self.bucket}/{self.prefix})"

    @asynccontextmanager
    async def open(self, key: str) -> AsyncIterator[S3Target]:
        full_key = f"{self.prefix}/{key}" if self.prefix else key
        async with _aws().client("s3") as s3:
            target = S3Target(s3, self.bucket, full_key, self.part_size)
            try:
                yield target
                await target.commit()
            except BaseException:
                try:
                    await target.abort()
                except Exception as exc:
                    log.warning("reports.s3_abort_failed", location=target.location, error=str(exc))
                raise


def report_storage(setting: str) -> ReportStorage:
    """The storage SPAPI_NOTIFY_REPORT_DIR names: ``s3://bucket[/prefix]`` or a local directory."""
    if setting.startswith(S3_SCHEME):
        bucket, _, prefix = setting[len(S3_SCHEME) :].partition("/")
        return S3Storage(bucket, prefix)
    return LocalStorage(Path(setting).expanduser())
