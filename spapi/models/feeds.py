"""Feeds API 2021-06-30: getFeed and getFeedDocument."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from spapi.models.base import CamelModel


class Feed(CamelModel):
    """A feed as getFeed (Feeds API 2021-06-30) returns it."""

    feed_id: str
    feed_type: str
    processing_status: str
    created_time: datetime
    marketplace_ids: list[str] = Field(default_factory=list)
    processing_start_time: datetime | None = None
    processing_end_time: datetime | None = None
    result_feed_document_id: str | None = None


class FeedDocument(CamelModel):
    """Where to download a feed document (getFeedDocument); the URL expires after five minutes."""

    feed_document_id: str
    # A presigned URL: it grants access on its own, so keep it out of reprs and logs.
    url: str = Field(repr=False)
    compression_algorithm: str | None = None


class ProcessingSummary(CamelModel):
    """The ``summary`` of Amazon's JSON feed processing report: how many messages fared how."""

    errors: int | None = None
    warnings: int | None = None
    messages_processed: int | None = None
    messages_accepted: int | None = None
    messages_invalid: int | None = None
