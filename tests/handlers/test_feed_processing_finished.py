"""FEED_PROCESSING_FINISHED through the real loop against the sandbox: DONE, FATAL and CANCELLED.

The sandbox's Feeds API serves getFeed and the result document (getFeedDocument, then the presigned URL).
The seller sample's seller is the single-seller shortcut; the vendor sample's vendor is in the sellers table.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.settings import Settings
from spapi.sandbox import SandboxState
from spapi.sandbox.feeds import (
    GET_FEED,
    GET_FEED_DOCUMENT,
    add_finished_feed,
    json_processing_report,
    xml_processing_report,
)
from store.tables import CHANGES, FEEDS
from tests.builders import notification_id_of
from tests.fixtures.daemons import running
from tests.fixtures.feeds import sample
from tests.fixtures.handler_world import SHORTCUT_ACCOUNT, SHORTCUT_SELLER, VENDOR_ID
from tests.fixtures.polling import eventually
from tests.fixtures.queues import Queues, drain, send
from tests.fixtures.tables import ledger, rows


async def test_done_fatal_and_cancelled_feeds(
    settings: Settings, state: SandboxState, engine: AsyncEngine, queues: Queues, report_dir: Path
) -> None:
    report = json_processing_report("700001", SHORTCUT_SELLER, accepted=9, invalid=2)
    xml = xml_processing_report("700002", processed=1, errors=1)
    add_finished_feed(
        state, "700001", "DONE", document_id="amzn1.tortuga.4.na.done-doc", report=report, gzipped=True
    )
    add_finished_feed(state, "700002", "FATAL", document_id="amzn1.tortuga.4.na.fatal-doc", report=xml)
    add_finished_feed(state, "700003", "CANCELLED")
    done = sample(0, feedId="700001", processingStatus="DONE", resultFeedDocumentId="stale")
    fatal = sample(1, feedId="700002", processingStatus="FATAL", resultFeedDocumentId=None)
    cancelled = sample(0, feedId="700003", processingStatus="CANCELLED", resultFeedDocumentId=None)
    ids = {notification_id_of(n) for n in (done, fatal, cancelled)}
    await send(queues.url, done, fatal, cancelled)
    async with running(settings):
        settled = await eventually(lambda: ledger(engine), lambda found: ids <= set(found), what="settled")
    assert {settled[i] for i in ids} == {"processed"}

    feeds = {(row["feed_id"], row["account_id"]): row for row in await rows(engine, FEEDS)}
    assert set(feeds) == {("700001", SHORTCUT_ACCOUNT), ("700002", VENDOR_ID), ("700003", SHORTCUT_ACCOUNT)}

    row = feeds["700001", SHORTCUT_ACCOUNT]
    assert (row["processing_status"], row["seller_id"], row["feed_type"]) == (
        "DONE",
        SHORTCUT_SELLER,
        "POST_PRODUCT_DATA",
    )
    # getFeed's document id wins over the notification's stale one.
    assert row["result_feed_document_id"] == "amzn1.tortuga.4.na.done-doc"
    assert row["result_format"] == "json"
    counts = ("messages_processed", "messages_accepted", "messages_invalid", "errors", "warnings")
    assert tuple(row[name] for name in counts) == (11, 9, 2, 2, 0)
    assert row["compression_algorithm"] == "GZIP"
    assert row["marketplace_ids"] == ["ATVPDKIKX0DER"]
    assert row["processing_end_time"] is not None
    location = Path(row["location"])
    assert location == report_dir.absolute() / SHORTCUT_SELLER / "feeds" / "POST_PRODUCT_DATA" / "700001"
    assert location.read_bytes() == report
    assert (row["size_bytes"], row["sha256"]) == (len(report), hashlib.sha256(report).hexdigest())

    row = feeds["700002", VENDOR_ID]
    assert (row["processing_status"], row["seller_id"], row["result_format"]) == ("FATAL", None, "xml")
    assert all(row[name] is None for name in counts)
    assert Path(row["location"]).read_bytes() == xml
    assert row["compression_algorithm"] is None

    row = feeds["700003", SHORTCUT_ACCOUNT]
    assert row["processing_status"] == "CANCELLED"
    assert row["location"] is row["result_feed_document_id"] is row["result_format"] is None

    assert state.calls[GET_FEED] == 3
    assert state.calls[GET_FEED_DOCUMENT] == 2
    changes = await rows(engine, CHANGES)
    assert {(c["table_name"], c["operation"]) for c in changes} == {("feeds", "insert")}
    assert {c["notification_id"] for c in changes} == ids
    assert await drain(queues.dlq_url) == []
