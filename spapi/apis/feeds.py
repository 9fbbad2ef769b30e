"""Feeds API 2021-06-30: getFeed, getFeedDocument and the download of a feed's processing report."""

from __future__ import annotations

from spapi.apis.result import ApiResult, validated
from spapi.credentials import SellingPartner
from spapi.documents import DocumentDownloader, DownloadedDocument, Sink
from spapi.models.feeds import Feed, FeedDocument
from spapi.models.reports import ReportDocument
from spapi.operation import Operation
from spapi.requester import Requester

GET_FEED = Operation.of("feeds_2021-06-30.getFeed")
GET_FEED_DOCUMENT = Operation.of("feeds_2021-06-30.getFeedDocument")


class FeedsApi:
    """getFeed, getFeedDocument, and the streamed download of a feed document."""

    def __init__(self, requester: Requester, downloader: DocumentDownloader) -> None:
        self._requester = requester
        self.downloader = downloader

    async def get_feed(self, partner: SellingPartner, feed_id: str) -> ApiResult[Feed]:
        response = await self._requester.request(GET_FEED, partner, path_params={"feedId": feed_id})
        return validated(Feed, response)

    async def get_feed_document(
        self, partner: SellingPartner, feed_document_id: str
    ) -> ApiResult[FeedDocument]:
        response = await self._requester.request(
            GET_FEED_DOCUMENT, partner, path_params={"feedDocumentId": feed_document_id}
        )
        return validated(FeedDocument, response)

    async def download_document(
        self, partner: SellingPartner, feed_document_id: str, sink: Sink
    ) -> DownloadedDocument:
        """Stream the document, decompressed, into ``sink``; a fresh URL is fetched whenever one expires."""

        async def fetch() -> ReportDocument:
            document = (await self.get_feed_document(partner, feed_document_id)).data
            # The downloader reads the three fields a report document and a feed document share.
            return ReportDocument(
                report_document_id=document.feed_document_id,
                url=document.url,
                compression_algorithm=document.compression_algorithm,
            )

        return await self.downloader.download(fetch, sink)
