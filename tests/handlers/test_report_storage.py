"""Report storage (local directory and S3) and the ``reports`` upsert, without the daemon."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import pytest

from handlers.report_processing_finished import ReportWrite
from handlers.report_storage import LocalStorage, S3Storage, object_key, report_storage
from store.engine import create_engine
from store.migrate import upgrade
from tests.fixtures.queues import SESSION
from tests.fixtures.tables import reports

MIB = 1024 * 1024


class Interrupted(Exception):
    pass


async def write_then_fail(storage: LocalStorage | S3Storage, key: str, data: bytes) -> None:
    async with storage.open(key) as target:
        await target.write(data)
        raise Interrupted


def test_the_setting_picks_the_backend(tmp_path: Path) -> None:
    s3 = report_storage("s3://bucket/some/prefix/")
    assert isinstance(s3, S3Storage)
    assert (s3.bucket, s3.prefix) == ("bucket", "some/prefix")
    assert isinstance(report_storage("s3://bucket"), S3Storage)
    local = report_storage(str(tmp_path))
    assert isinstance(local, LocalStorage)
    assert local.root == tmp_path
    with pytest.raises(ValueError, match="bucket"):
        report_storage("s3:///prefix")


def test_keys_cannot_leave_the_storage_root() -> None:
    assert object_key("amzn1.vg.1", "GET_X", "123") == "amzn1.vg.1/GET_X/123"
    assert object_key("..", "a/b", "c d") == "_/a_b/c_d"


async def test_a_local_document_appears_whole_or_not_at_all(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    async with storage.open("A1/GET_X/1") as target:
        await target.write(b"old")
    with pytest.raises(Interrupted):
        await write_then_fail(storage, "A1/GET_X/1", b"new and half")
    # The failed rewrite left the previous document and no temporary file.
    assert [p.name for p in (tmp_path / "A1" / "GET_X").iterdir()] == ["1"]
    assert (tmp_path / "A1" / "GET_X" / "1").read_bytes() == b"old"
    with pytest.raises(Interrupted):
        await write_then_fail(storage, "A1/GET_X/2", b"partial")
    assert not (tmp_path / "A1" / "GET_X" / "2").exists()
    async with storage.open("A1/GET_X/2") as target:
        await target.write(b"a")
        await target.write(b"b")
    assert target.location == str(tmp_path / "A1" / "GET_X" / "2")
    assert Path(target.location).read_bytes() == b"ab"


async def test_s3_uploads_in_parts_and_aborts_on_failure(moto_server: str) -> None:
    bucket = f"reports-{uuid.uuid4().hex[:12]}"
    async with SESSION.client("s3") as s3:
        await s3.create_bucket(Bucket=bucket)
    storage = S3Storage(bucket, "p", part_size=5 * MIB)
    data = bytes(range(256)) * (11 * MIB // 256 + 7)
    async with storage.open("A1/GET_X/1") as target:
        for start in range(0, len(data), 300_000):
            await target.write(data[start : start + 300_000])
    assert target.location == f"s3://{bucket}/p/A1/GET_X/1"
    async with storage.open("A1/GET_X/small") as small:
        await small.write(b"tiny")
    with pytest.raises(Interrupted):
        await write_then_fail(storage, "A1/GET_X/2", data[: 6 * MIB])  # one part uploaded, then a failure
    async with SESSION.client("s3") as s3:
        stored = await s3.get_object(Bucket=bucket, Key="p/A1/GET_X/1")
        body = await stored["Body"].read()
        assert stored["ETag"].strip('"').endswith("-3")
        tiny = await (await s3.get_object(Bucket=bucket, Key="p/A1/GET_X/small"))["Body"].read()
        keys = [o["Key"] for o in (await s3.list_objects_v2(Bucket=bucket)).get("Contents", [])]
        pending = (await s3.list_multipart_uploads(Bucket=bucket)).get("Uploads", [])
    assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
    assert tiny == b"tiny"
    assert sorted(keys) == ["p/A1/GET_X/1", "p/A1/GET_X/small"]
    assert pending == []


def _row(status: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(
        (
            "seller_id",
            "report_document_id",
            "location",
            "size_bytes",
            "sha256",
            "stored_at",
            "compression_algorithm",
            "data_start_time",
            "data_end_time",
        )
    )
    row.update(report_id="1", account_id="amzn1.vg.1", report_type="GET_X", processing_status=status)
    row.update(values)
    return row


async def test_a_late_in_progress_never_replaces_a_finished_report(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        for row in (
            _row("IN_PROGRESS"),
            _row("DONE", location="/r/1", sha256="ab"),
            _row("IN_QUEUE"),
            _row("IN_PROGRESS"),
        ):
            async with engine.begin() as connection:
                await ReportWrite(row).apply(connection)
        stored = (await reports(engine))["1", "amzn1.vg.1"]
        assert (stored["processing_status"], stored["location"]) == ("DONE", "/r/1")
        async with engine.begin() as connection:
            await ReportWrite(_row("FATAL", location="/r/1.error")).apply(connection)
        stored = (await reports(engine))["1", "amzn1.vg.1"]
        assert (stored["processing_status"], stored["location"]) == ("FATAL", "/r/1.error")
    finally:
        await engine.dispose()
