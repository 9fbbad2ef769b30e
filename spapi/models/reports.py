"""Reports API 2021-06-30: getReport and getReportDocument."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from spapi.models.base import CamelModel


class Report(CamelModel):
    """A report as getReport (Reports API 2021-06-30) returns it."""

    report_id: str
    report_type: str
    processing_status: str
    created_time: datetime
    marketplace_ids: list[str] = Field(default_factory=list)
    data_start_time: datetime | None = None
    data_end_time: datetime | None = None
    report_schedule_id: str | None = None
    processing_start_time: datetime | None = None
    processing_end_time: datetime | None = None
    report_document_id: str | None = None


class ReportDocument(CamelModel):
    """Where to download a report document (getReportDocument); the URL expires after five minutes."""

    report_document_id: str
    # A presigned URL: it grants access on its own, so keep it out of reprs and logs.
    url: str = Field(repr=False)
    compression_algorithm: str | None = None
