"""FEED_PROCESSING_FINISHED 2020-09-04: getFeed, the processing report stored, and ``feeds`` upserted.

DONE, FATAL and CANCELLED all start with getFeed (the feed's marketplaces and processing times). When the
feed names a result document (DONE always does; FATAL and CANCELLED may), it is fetched with
getFeedDocument and streamed (inflated when GZIP) into the report storage (handlers.report_storage,
SPAPI_NOTIFY_REPORT_DIR) under ``<account>/feeds/<feedType>/<feedId>``, in bounded memory, with its size and
sha256. When the document is Amazon's JSON processing report, its summary's counts (messages processed,
accepted, invalid; errors; warnings) are parsed into the row; an XML or text report is stored as it is.
A DONE feed whose getFeed names no document yet is retried (getFeed can lag the notification).

The calls and the download run in ``prepare``, outside any transaction; the row commits with the ledger
row. A document is stored under a name derived from the account and feed, so a redelivery rewrites it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.context import HandlerContext
from handlers.contract import Effect, StoredField
from handlers.errors import PermanentError, Reason, TransientError
from handlers.report_storage import ReportStorage, object_key
from spapi.documents import DownloadedDocument
from spapi.models.feeds import Feed
from spapi.notifications import FeedProcessingFinishedPayload, Notification
from spapi.processing_reports import ProcessingReport, ProcessingReportReader
from store.outputs.feeds import upsert_feed
from store.seller_directory import SellerCredentials
from store.tables import FEEDS

DONE, FATAL, CANCELLED = "DONE", "FATAL", "CANCELLED"
FINISHED = (DONE, FATAL, CANCELLED)


@dataclass(frozen=True)
class StoredResult:
    """Where a processing report went, what was downloaded, and what it said."""

    location: str
    document: DownloadedDocument
    report: ProcessingReport


class FeedProcessingFinishedHandler:
    """FEED_PROCESSING_FINISHED 2020-09-04 (see the module docstring)."""

    def __init__(self, context: HandlerContext, storage: ReportStorage) -> None:
        self._context = context
        self.storage = storage

    def __repr__(self) -> str:
        return f"FeedProcessingFinishedHandler({self.storage!r})"

    def stored_fields(self, notification: Notification[Any]) -> list[StoredField]:
        """The notification's values this handler writes (checked against their columns beforehand)."""
        payload = notification.payload
        if not isinstance(payload, FeedProcessingFinishedPayload):
            return []
        feed = payload.feed_processing_finished_notification
        at, table = "payload.feedProcessingFinishedNotification", FEEDS.c
        return [
            StoredField(f"{at}.feedId", feed.feed_id, table.feed_id),
            StoredField(f"{at}.accountId", feed.account_id, table.account_id),
            StoredField(f"{at}.sellerId", feed.seller_id, table.seller_id),
            StoredField(f"{at}.feedType", feed.feed_type, table.feed_type),
            StoredField(f"{at}.processingStatus", feed.processing_status, table.processing_status),
            StoredField(
                f"{at}.resultFeedDocumentId", feed.result_feed_document_id, table.result_feed_document_id
            ),
        ]

    async def prepare(self, notification: Notification[Any]) -> Effect:
        payload = notification.payload
        if not isinstance(payload, FeedProcessingFinishedPayload):
            raise PermanentError(
                Reason.SCHEMA_VIOLATION,
                "FEED_PROCESSING_FINISHED payload did not parse as version 2020-09-04",
            )
        finished = payload.feed_processing_finished_notification
        partner_id = finished.seller_id or finished.account_id
        status = finished.processing_status.upper()
        row = _row(finished.feed_id, finished.account_id, finished.seller_id, finished.feed_type, status)
        row["result_feed_document_id"] = finished.result_feed_document_id
        row["last_event_time"] = notification.event_time
        write = FeedWrite(row, notification.notification_id)
        # Credentials first: an unknown seller is dead-lettered the same way whatever the status.
        credentials = await self._context.sellers.credentials(partner_id)
        if status not in FINISHED:
            return Effect(apply=write.apply, summary=f"feed {finished.feed_id} {status}")

        feed = await self._get_feed(credentials, finished.feed_id)
        document_id = feed.result_feed_document_id or finished.result_feed_document_id
        row.update(
            marketplace_ids=feed.marketplace_ids,
            created_time=_utc(feed.created_time),
            processing_start_time=_utc(feed.processing_start_time),
            processing_end_time=_utc(feed.processing_end_time),
            result_feed_document_id=document_id,
        )
        if document_id is None:
            if status != DONE:
                return Effect(apply=write.apply, summary=f"feed {finished.feed_id} {status}")
            # getFeed can lag the notification; the redrive policy bounds how long this is retried.
            raise TransientError(
                Reason.SPAPI, f"feed {finished.feed_id} is DONE but names no result document"
            )

        key = object_key(partner_id, "feeds", finished.feed_type, finished.feed_id)
        stored = await self._store(credentials, document_id, key)
        summary = stored.report.summary
        row.update(
            location=stored.location,
            size_bytes=stored.document.size_bytes,
            sha256=stored.document.sha256,
            compression_algorithm=stored.document.compression,
            stored_at=datetime.now(UTC),
            result_format=stored.report.format,
            messages_processed=summary.messages_processed if summary else None,
            messages_accepted=summary.messages_accepted if summary else None,
            messages_invalid=summary.messages_invalid if summary else None,
            errors=summary.errors if summary else None,
            warnings=summary.warnings if summary else None,
        )
        counted = f", {summary.errors} errors" if summary and summary.errors is not None else ""
        return Effect(
            apply=write.apply,
            summary=f"feed {finished.feed_id} {status}: {stored.document.size_bytes} bytes{counted}",
        )

    async def _get_feed(self, credentials: SellerCredentials, feed_id: str) -> Feed:
        client = self._context.client_for(credentials.region)
        feed = (await client.feeds.get_feed(credentials.partner, feed_id)).data
        if feed.feed_id != feed_id:
            raise PermanentError(Reason.SPAPI_REJECTED, f"getFeed({feed_id}) returned feed {feed.feed_id}")
        return feed

    async def _store(self, credentials: SellerCredentials, document_id: str, key: str) -> StoredResult:
        client = self._context.client_for(credentials.region)
        reader = ProcessingReportReader()
        async with self.storage.open(key) as target:

            async def sink(piece: bytes) -> None:
                await target.write(piece)
                await reader.feed(piece)

            document = await client.feeds.download_document(credentials.partner, document_id, sink)
        return StoredResult(target.location, document, reader.result())


def _row(feed_id: str, account_id: str, seller_id: str | None, feed_type: str, status: str) -> dict[str, Any]:
    """A ``feeds`` row with nothing known beyond the notification's identifiers."""
    row: dict[str, Any] = dict.fromkeys(
        (
            "marketplace_ids",
            "created_time",
            "processing_start_time",
            "processing_end_time",
            "result_feed_document_id",
            "location",
            "size_bytes",
            "sha256",
            "compression_algorithm",
            "stored_at",
            "result_format",
            "messages_processed",
            "messages_accepted",
            "messages_invalid",
            "errors",
            "warnings",
            "last_event_time",
        )
    )
    row.update(
        feed_id=feed_id,
        account_id=account_id,
        seller_id=seller_id,
        feed_type=feed_type,
        processing_status=status,
        updated_at=datetime.now(UTC),
    )
    return row


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class FeedWrite:
    """The feed's row (a late IN_QUEUE/IN_PROGRESS never replaces a finished feed)."""

    row: dict[str, Any]
    notification_id: str | None = None

    async def apply(self, connection: AsyncConnection) -> None:
        await upsert_feed(connection, self.row, notification_id=self.notification_id)
