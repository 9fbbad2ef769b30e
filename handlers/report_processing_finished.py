"""REPORT_PROCESSING_FINISHED 2020-09-04: store the report's document and upsert ``reports``.

DONE: getReport, then the document (getReportDocument, streamed from its presigned URL, inflated when
GZIP) into the report storage (handlers.report_storage). FATAL: the document Amazon names is an error
document explaining the failure; it is stored the same way. CANCELLED (and IN_QUEUE / IN_PROGRESS, should one
ever arrive): the row is recorded without any SP-API call. Vendors' reports carry only an ``amzn1.vg.*``
accountId: their credentials are looked up by that id.

The download runs in ``prepare``, outside any transaction; the row commits with the ledger row. A document is
stored under a name derived from the account and report, so a redelivery rewrites the same object.
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
from handlers.stored_fields import report_fields
from spapi.documents import DownloadedDocument
from spapi.models.reports import Report
from spapi.notifications import Notification, ReportProcessingFinishedPayload
from store.outputs.reports import upsert_report
from store.seller_directory import SellerCredentials

DONE, FATAL, CANCELLED = "DONE", "FATAL", "CANCELLED"


@dataclass(frozen=True)
class StoredReport:
    """Where a document went, and what was downloaded."""

    location: str
    document: DownloadedDocument


class ReportProcessingFinishedHandler:
    """REPORT_PROCESSING_FINISHED 2020-09-04 (see the module docstring)."""

    def __init__(self, context: HandlerContext, storage: ReportStorage) -> None:
        self._context = context
        self.storage = storage

    def __repr__(self) -> str:
        return f"ReportProcessingFinishedHandler({self.storage!r})"

    def stored_fields(self, notification: Notification[Any]) -> list[StoredField]:
        """The notification's values this handler writes (checked against their columns beforehand)."""
        return list(report_fields(notification))

    async def prepare(self, notification: Notification[Any]) -> Effect:
        payload = notification.payload
        if not isinstance(payload, ReportProcessingFinishedPayload):
            raise PermanentError(
                Reason.SCHEMA_VIOLATION,
                "REPORT_PROCESSING_FINISHED payload did not parse as version 2020-09-04",
            )
        finished = payload.report_processing_finished_notification
        partner_id = finished.seller_id or finished.account_id
        status = finished.processing_status.upper()
        row: dict[str, Any] = {
            "report_id": finished.report_id,
            "account_id": finished.account_id,
            "seller_id": finished.seller_id,
            "report_type": finished.report_type,
            "processing_status": status,
            "report_document_id": finished.report_document_id,
            "location": None,
            "size_bytes": None,
            "sha256": None,
            "stored_at": None,
            "compression_algorithm": None,
            "data_start_time": None,
            "data_end_time": None,
        }
        write = ReportWrite(row, notification.notification_id)  # the row is completed below
        # Credentials first, even for a bare record: an unknown seller is dead-lettered the same way always.
        credentials = await self._context.sellers.credentials(partner_id)
        if status not in (DONE, FATAL):
            return Effect(apply=write.apply, summary=f"report {finished.report_id} {status}")

        report = await self._get_report(credentials, finished.report_id)
        document_id = report.report_document_id or finished.report_document_id
        row["data_start_time"] = report.data_start_time
        row["data_end_time"] = report.data_end_time
        row["report_document_id"] = document_id
        if document_id is None:
            if status == FATAL:
                return Effect(apply=write.apply, summary=f"report {finished.report_id} FATAL")
            # getReport can lag the notification; the redrive policy bounds how long this is retried.
            raise TransientError(Reason.SPAPI, f"report {finished.report_id} is DONE but names no document")

        suffix = ".error" if status == FATAL else ""
        key = object_key(partner_id, finished.report_type, finished.report_id + suffix)
        stored = await self._store(credentials, document_id, key)
        row.update(
            location=stored.location,
            size_bytes=stored.document.size_bytes,
            sha256=stored.document.sha256,
            stored_at=datetime.now(UTC),
            compression_algorithm=stored.document.compression,
        )
        summary = f"report {finished.report_id} {status}: {stored.document.size_bytes} bytes"
        return Effect(apply=write.apply, summary=summary)

    async def _get_report(self, credentials: SellerCredentials, report_id: str) -> Report:
        client = self._context.client_for(credentials.region)
        report = (await client.reports.get_report(credentials.partner, report_id)).data
        if report.report_id != report_id:
            raise PermanentError(
                Reason.SPAPI_REJECTED, f"getReport({report_id}) returned report {report.report_id}"
            )
        return report

    async def _store(self, credentials: SellerCredentials, document_id: str, key: str) -> StoredReport:
        client = self._context.client_for(credentials.region)
        async with self.storage.open(key) as target:
            document = await client.reports.download_document(credentials.partner, document_id, target.write)
        return StoredReport(target.location, document)


@dataclass(frozen=True)
class ReportWrite:
    """The report's row (a late IN_QUEUE/IN_PROGRESS never replaces a finished report)."""

    row: dict[str, Any]
    notification_id: str | None = None  # named by the change this write appends

    async def apply(self, connection: AsyncConnection) -> None:
        await upsert_report(connection, self.row, notification_id=self.notification_id)
