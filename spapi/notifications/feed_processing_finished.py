"""FEED_PROCESSING_FINISHED, payload version 2020-09-04 (``FeedProcessingFinishedNotification.json``)."""

from __future__ import annotations

from pydantic import Field

from spapi.notifications.wire import TypedPayload, WireModel


class FeedProcessingFinishedNotification(WireModel):
    """A feed that finished processing: its id, type, status and result document id (when it has one)."""

    # Absent for vendors: their feeds are identified by accountId alone (``amzn1.vg.*``).
    seller_id: str | None = Field(default=None, alias="sellerId")
    account_id: str = Field(min_length=1, alias="accountId")
    feed_id: str = Field(min_length=1, alias="feedId")
    feed_type: str = Field(min_length=1, alias="feedType")
    # CANCELLED, DONE or FATAL.
    processing_status: str = Field(alias="processingStatus")
    # Only unique together with the seller id, per the schema.
    result_feed_document_id: str | None = Field(default=None, alias="resultFeedDocumentId")


class FeedProcessingFinishedPayload(TypedPayload):
    """The payload of FEED_PROCESSING_FINISHED 2020-09-04; the partner is sellerId, else accountId."""

    feed_processing_finished_notification: FeedProcessingFinishedNotification = Field(
        alias="feedProcessingFinishedNotification"
    )

    @property
    def selling_partner_id(self) -> str | None:
        feed = self.feed_processing_finished_notification
        return feed.seller_id or feed.account_id
