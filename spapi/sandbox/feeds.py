"""Finished feeds the fake serves: getFeed's answer and the processing report as Amazon shapes it.

``add_finished_feed`` makes getFeed answer for the feed and, when the feed has a result document, serves it
through getFeedDocument and a presigned URL like any document. The reports are Amazon's two documented kinds:
the JSON processing report of JSON feeds (``header``, ``issues``, ``summary`` counts) and the XML
``ProcessingReport`` of XML feeds.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from spapi.sandbox.state import SandboxState

GET_FEED = "feeds_2021-06-30.getFeed"
GET_FEED_DOCUMENT = "feeds_2021-06-30.getFeedDocument"


def json_processing_report(
    feed_id: str, seller_id: str, *, accepted: int, invalid: int, warnings: int = 0
) -> bytes:
    """A JSON feed's processing report: one ERROR issue per invalid message, and the summary's counts."""
    issues = [
        {
            "messageId": index + 1,
            "code": "90220",
            "severity": "ERROR",
            "message": "'condition_type' is required but not supplied.",
            "attributeName": "condition_type",
        }
        for index in range(invalid)
    ]
    summary = {
        "errors": invalid,
        "warnings": warnings,
        "messagesProcessed": accepted + invalid,
        "messagesAccepted": accepted,
        "messagesInvalid": invalid,
    }
    header = {"sellerId": seller_id, "version": "2.0", "feedId": feed_id}
    return json.dumps({"header": header, "issues": issues, "summary": summary}).encode()


def xml_processing_report(feed_id: str, *, processed: int, errors: int) -> bytes:
    """An XML feed's ProcessingReport (POST_PRODUCT_DATA and the other XML feeds)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">
  <Header><DocumentVersion>1.02</DocumentVersion><MerchantIdentifier>M_EXAMPLE</MerchantIdentifier></Header>
  <MessageType>ProcessingReport</MessageType>
  <Message><MessageID>1</MessageID><ProcessingReport><DocumentTransactionID>{feed_id}</DocumentTransactionID>
    <StatusCode>Complete</StatusCode>
    <ProcessingSummary><MessagesProcessed>{processed}</MessagesProcessed>
      <MessagesSuccessful>{processed - errors}</MessagesSuccessful>
      <MessagesWithError>{errors}</MessagesWithError><MessagesWithWarning>0</MessagesWithWarning>
    </ProcessingSummary>
  </ProcessingReport></Message>
</AmazonEnvelope>
""".encode()


def feed_resource(
    feed_id: str, status: str, document_id: str | None, feed_type: str = "POST_PRODUCT_DATA"
) -> dict[str, Any]:
    """What getFeed answers for a finished feed (Feeds API 2021-06-30 ``Feed``)."""
    feed: dict[str, Any] = {
        "feedId": feed_id,
        "feedType": feed_type,
        "marketplaceIds": ["ATVPDKIKX0DER"],
        "createdTime": "2026-11-23T09:00:00Z",
        "processingStatus": status,
        "processingStartTime": "2026-11-23T09:00:05Z",
        "processingEndTime": "2026-11-23T09:01:00Z",
    }
    if document_id is not None:
        feed["resultFeedDocumentId"] = document_id
    return feed


def add_finished_feed(
    state: SandboxState,
    feed_id: str,
    status: str,
    *,
    document_id: str | None = None,
    report: bytes | None = None,
    gzipped: bool = False,
    feed_type: str = "POST_PRODUCT_DATA",
) -> None:
    """Serve getFeed for the feed and, when it has one, its processing report (GZIP-compressed if asked)."""
    state.add_feed(feed_resource(feed_id, status, document_id, feed_type))
    if document_id is None or report is None:
        return
    if gzipped:
        state.add_document(document_id, gzip.compress(report, compresslevel=1, mtime=0), compression="GZIP")
    else:
        state.add_document(document_id, report, compression=None)
