"""Reports API 2021-06-30: getReport, getReportDocument and the document download."""

from __future__ import annotations

from spapi.apis.result import ApiResult, validated
from spapi.credentials import SellingPartner
from spapi.documents import DocumentDownloader, DownloadedDocument, Sink
from spapi.models.reports import Report, ReportDocument
from spapi.operation import Operation
from spapi.requester import Requester

GET_REPORT = Operation.of("reports_2021-06-30.getReport")
GET_REPORT_DOCUMENT = Operation.of("reports_2021-06-30.getReportDocument")


class ReportsApi:
    """getReport, getReportDocument, and the streamed download of a document."""

    def __init__(self, requester: Requester, downloader: DocumentDownloader) -> None:
        self._requester = requester
        self.downloader = downloader

    async def get_report(self, partner: SellingPartner, report_id: str) -> ApiResult[Report]:
        response = await self._requester.request(GET_REPORT, partner, path_params={"reportId": report_id})
        return validated(Report, response)

    async def get_report_document(
        self, partner: SellingPartner, report_document_id: str
    ) -> ApiResult[ReportDocument]:
        response = await self._requester.request(
            GET_REPORT_DOCUMENT, partner, path_params={"reportDocumentId": report_document_id}
        )
        return validated(ReportDocument, response)

    async def download_document(
        self, partner: SellingPartner, report_document_id: str, sink: Sink
    ) -> DownloadedDocument:
        """Stream the document, decompressed, into ``sink``; a fresh URL is fetched whenever one expires."""

        async def fetch() -> ReportDocument:
            return (await self.get_report_document(partner, report_document_id)).data

        return await self.downloader.download(fetch, sink)
