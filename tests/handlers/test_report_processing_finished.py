"""REPORT_PROCESSING_FINISHED through the real loop: documents stored, ``reports`` upserted, failures.

The seller sample's seller is the single-seller shortcut; the vendor sample's vendor is in the sellers table.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.settings import Settings
from spapi.sandbox import SandboxServer, SandboxState, gzip_stream
from store.engine import create_engine
from store.migrate import upgrade
from tests.builders import eventbridge_event, notification_id_of
from tests.fixtures.clock import FakeClock
from tests.fixtures.daemons import running
from tests.fixtures.handler_world import SHORTCUT_ACCOUNT, SHORTCUT_SELLER, VENDOR_ID, handler_settings
from tests.fixtures.polling import eventually
from tests.fixtures.queues import SESSION, Queues, drain, queue_depth, send
from tests.fixtures.reports import (
    GET_REPORT,
    GET_REPORT_DOCUMENT,
    TEXT,
    add_report,
    report_resource,
    sample,
    sample_count,
)
from tests.fixtures.tables import ledger_rows, reports

REASON = "spapi-notify.reason"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def settled(engine: AsyncEngine, ids: set[str]) -> dict[str, dict[str, object]]:
    rows = await eventually(lambda: ledger_rows(engine), lambda rows: ids <= set(rows), what="all settled")
    return {i: rows[i] for i in ids}


def stored_files(report_dir: Path) -> list[Path]:
    return sorted(p for p in report_dir.rglob("*") if p.is_file()) if report_dir.exists() else []


async def test_the_official_samples_raw_and_through_eventbridge(
    settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues, report_dir: Path
) -> None:
    assert sample_count() == 2
    raw = [sample(i) for i in range(sample_count())]
    bridged = [sample(i) for i in range(sample_count())]
    await send(queues.url, *raw, *(eventbridge_event(n) for n in bridged))
    ids = {notification_id_of(n) for n in raw + bridged}
    assert len(ids) == 4  # the samples share a notification id; every copy got its own
    async with running(settings):
        rows = await settled(engine, ids)
        await eventually(lambda: queue_depth(queues.url), lambda depth: depth == (0, 0), what="all deleted")
    assert {r["status"] for r in rows.values()} == {"processed"}
    # The samples are CANCELLED: recorded, with no SP-API call and nothing stored.
    found = await reports(engine)
    assert set(found) == {("54517018502", SHORTCUT_ACCOUNT), ("54517018502", VENDOR_ID)}
    seller, vendor = found["54517018502", SHORTCUT_ACCOUNT], found["54517018502", VENDOR_ID]
    assert (seller["seller_id"], vendor["seller_id"]) == (SHORTCUT_SELLER, None)
    for row in (seller, vendor):
        assert row["processing_status"] == "CANCELLED"
        assert row["report_type"] == "GET_FLAT_FILE_ACTIONABLE_ORDER_DATA"
        assert row["location"] is row["sha256"] is row["size_bytes"] is None
    assert state.calls[GET_REPORT] == state.calls[GET_REPORT_DOCUMENT] == 0
    assert stored_files(report_dir) == []
    assert await drain(queues.dlq_url) == []


async def test_done_reports_are_stored_for_a_seller_and_a_vendor(
    settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues, report_dir: Path
) -> None:
    vendor_text = TEXT.replace(b"\t", b",")
    add_report(state, "900001", "amzn1.tortuga.4.na.seller-doc", TEXT, gzipped=True)
    add_report(state, "900002", "amzn1.tortuga.4.na.vendor-doc", vendor_text, gzipped=False)
    # The notification's document id is a stale one: getReport's is the one fetched.
    seller = sample(0, reportId="900001", processingStatus="DONE", reportDocumentId="stale")
    vendor = sample(1, reportId="900002", processingStatus="DONE", reportDocumentId=None)
    await send(queues.url, seller, eventbridge_event(vendor))
    async with running(settings):
        rows = await settled(engine, {notification_id_of(seller), notification_id_of(vendor)})
    assert {r["status"] for r in rows.values()} == {"processed"}
    found = await reports(engine)
    for key, text, compression, partner in (
        (("900001", SHORTCUT_ACCOUNT), TEXT, "GZIP", SHORTCUT_SELLER),
        (("900002", VENDOR_ID), vendor_text, None, VENDOR_ID),
    ):
        row = found[key]
        assert row["processing_status"] == "DONE"
        assert row["sha256"] == sha256(text)
        assert row["size_bytes"] == len(text)
        assert row["compression_algorithm"] == compression
        assert row["stored_at"] is not None
        assert row["data_start_time"] is not None
        location = Path(row["location"])
        assert location == report_dir.absolute() / partner / "GET_FLAT_FILE_ACTIONABLE_ORDER_DATA" / key[0]
        assert location.read_bytes() == text
    assert found["900001", SHORTCUT_ACCOUNT]["report_document_id"] == "amzn1.tortuga.4.na.seller-doc"
    assert len(stored_files(report_dir)) == 2  # no temporary files left behind
    assert state.document_downloads["amzn1.tortuga.4.na.seller-doc"] == 1


async def test_fatal_stores_the_error_document(
    settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues, report_dir: Path
) -> None:
    error = json.dumps({"errorDetails": "The report could not be generated: invalid date range."}).encode()
    add_report(state, "900003", "amzn1.tortuga.4.na.error-doc", error, gzipped=True, status="FATAL")
    fatal = sample(
        1, reportId="900003", processingStatus="FATAL", reportDocumentId="amzn1.tortuga.4.na.error-doc"
    )
    await send(queues.url, fatal)
    async with running(settings):
        await settled(engine, {notification_id_of(fatal)})
    row = (await reports(engine))["900003", VENDOR_ID]
    assert row["processing_status"] == "FATAL"
    assert row["report_document_id"] == "amzn1.tortuga.4.na.error-doc"
    assert Path(row["location"]).name == "900003.error"
    assert Path(row["location"]).read_bytes() == error
    assert row["sha256"] == sha256(error)


async def test_an_unknown_seller_is_dead_lettered(
    settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues
) -> None:
    stranger = sample(0, sellerId="A0UNKNOWNSELLER", accountId="amzn1.merchant.o.A0UNKNOWNSELLER")
    stranger_vendor = sample(1, accountId="amzn1.vg.0000000", processingStatus="DONE", reportId="900004")
    await send(queues.url, stranger, stranger_vendor)
    async with running(settings):
        dead = await eventually(lambda: drain(queues.dlq_url), lambda found: len(found) == 2, what="DLQ")
        rows = await settled(engine, {notification_id_of(stranger), notification_id_of(stranger_vendor)})
    assert {m["MessageAttributes"][REASON]["StringValue"] for m in dead} == {"unknown_seller"}
    assert {r["status"] for r in rows.values()} == {"dead_lettered"}
    assert "A0UNKNOWNSELLER" in str(rows[notification_id_of(stranger)]["error"])
    assert state.calls[GET_REPORT] == 0
    assert await reports(engine) == {}


async def test_a_download_that_outlives_its_url_fetches_a_fresh_one(
    settings: Settings, state: SandboxState, clock: FakeClock, engine: AsyncEngine, queues: Queues
) -> None:
    document_id = "amzn1.tortuga.4.na.slow-doc"
    # Large enough that the cut comes after the client's first 256 KiB read, so there is something to resume.
    text = TEXT * 8
    pieces = [text[i : i + 65_536] for i in range(0, len(text), 65_536)]
    produced = 0

    def slow() -> Iterator[bytes]:
        # The first transfer takes "six minutes": the URL it started with has expired when it breaks.
        nonlocal produced
        produced += 1
        for index, chunk in enumerate(gzip_stream(pieces, level=1)):
            if produced == 1 and index == 2:
                clock.advance(state.document_url_ttl + 60)
            yield chunk

    state.add_report(report_resource("900005", document_id))
    state.add_document(document_id, slow)
    compressed = b"".join(gzip_stream(pieces, level=1))
    state.break_document(document_id, after_bytes=len(compressed) // 2)
    done = sample(0, reportId="900005", processingStatus="DONE", reportDocumentId=document_id)
    await send(queues.url, done)
    async with running(settings):
        rows = await settled(engine, {notification_id_of(done)})
    assert rows[notification_id_of(done)]["status"] == "processed"
    row = (await reports(engine))["900005", SHORTCUT_ACCOUNT]
    assert row["sha256"] == sha256(text)
    assert row["size_bytes"] == len(text)
    assert Path(row["location"]).read_bytes() == text
    # Cut; the old URL refused as expired (403, not counted as a download); a fresh URL; the rest resumed.
    assert state.calls[GET_REPORT_DOCUMENT] == 2
    assert state.document_downloads[document_id] == 2
    # A Range request on a streamed document makes the sandbox produce it twice (its size, then the range):
    # one full transfer and one ranged one.
    assert produced == 3


async def test_documents_go_to_s3(
    queues: Queues,
    sqlite_url: str,
    state: SandboxState,
    sandbox: SandboxServer,
    key: str,
    moto_server: str,
) -> None:
    bucket = f"reports-{uuid.uuid4().hex[:12]}"
    async with SESSION.client("s3") as s3:
        await s3.create_bucket(Bucket=bucket)
    # Over one 8 MiB part once inflated, so the upload is multipart with a short last part.
    big = TEXT * (10 * 1024 * 1024 // len(TEXT))
    add_report(state, "900006", "amzn1.tortuga.4.na.big-doc", big, gzipped=True)
    engine = create_engine(sqlite_url)
    try:
        await upgrade(engine)
        settings = handler_settings(
            queues, sqlite_url, sandbox, key, report_dir=f"s3://{bucket}/spapi-notify/reports/"
        )
        done = sample(0, reportId="900006", processingStatus="DONE")
        await send(queues.url, done)
        async with running(settings):
            await settled(engine, {notification_id_of(done)})
        row = (await reports(engine))["900006", SHORTCUT_ACCOUNT]
    finally:
        await engine.dispose()
    object_key = f"spapi-notify/reports/{SHORTCUT_SELLER}/GET_FLAT_FILE_ACTIONABLE_ORDER_DATA/900006"
    assert row["location"] == f"s3://{bucket}/{object_key}"
    assert row["sha256"] == sha256(big)
    assert row["size_bytes"] == len(big)
    async with SESSION.client("s3") as s3:
        stored = await s3.get_object(Bucket=bucket, Key=object_key)
        body = await stored["Body"].read()
        assert stored["ETag"].strip('"').endswith("-2")  # two parts
        assert (await s3.list_multipart_uploads(Bucket=bucket)).get("Uploads", []) == []
    assert sha256(body) == sha256(big)
