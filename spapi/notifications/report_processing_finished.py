"""REPORT_PROCESSING_FINISHED, payload version 2020-09-04 (``ReportProcessingFinishedNotification.json``)."""

from __future__ import annotations

from pydantic import Field

from spapi.notifications.wire import TypedPayload, WireModel


class ReportProcessingFinishedNotification(WireModel):
    """A report that finished processing: its id, type, status and document id (when it has one)."""

    # Absent (or null) for vendors: their reports are identified by accountId alone (``amzn1.vg.*``).
    seller_id: str | None = Field(default=None, alias="sellerId")
    account_id: str = Field(min_length=1, alias="accountId")
    report_id: str = Field(alias="reportId")
    report_type: str = Field(alias="reportType")
    # CANCELLED, DONE or FATAL today.
    processing_status: str = Field(alias="processingStatus")
    # Only unique together with the seller id, per the schema.
    report_document_id: str | None = Field(default=None, alias="reportDocumentId")


class ReportProcessingFinishedPayload(TypedPayload):
    """The payload of REPORT_PROCESSING_FINISHED 2020-09-04; the partner is sellerId, else accountId."""

    report_processing_finished_notification: ReportProcessingFinishedNotification = Field(
        alias="reportProcessingFinishedNotification"
    )

    @property
    def selling_partner_id(self) -> str | None:
        report = self.report_processing_finished_notification
        return report.seller_id or report.account_id
