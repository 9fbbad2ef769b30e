"""Where a searchOrders pagination token points: the search it belongs to and the last order it returned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SearchCursor:
    """One issued ``nextToken``: whose search, with which parameters, after which order, issued when.

    The next page starts after (``after_time``, ``after_id``) in the search's order (lastUpdatedTime or
    createdTime, then orderId), so an order that changes meanwhile and leaves the window never shifts the
    others out of a page. ``issued_at`` is on the sandbox's clock (Amazon's tokens expire after 24 hours).
    """

    selling_partner_id: str | None
    parameters: tuple[tuple[str, str], ...]
    after_time: datetime
    after_id: str
    issued_at: float
