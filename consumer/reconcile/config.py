"""What a reconciliation sweep needs to know, from the SPAPI_NOTIFY_RECONCILE_* settings (consumer.app)."""

from __future__ import annotations

from dataclasses import dataclass

# Amazon's largest page (searchOrders maxResultsPerPage is 1..100): the fewest calls for a window.
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class ReconcileConfig:
    """Seconds throughout. ``interval``: between a seller's sweeps in the daemon (0: none); ``overlap``:
    re-read before the high-water mark, for Amazon's lagging lastUpdatedTime; ``grace``: how far before now
    a window ends (Amazon requires two minutes; notifications in flight meanwhile are not counted as
    missed); ``lookback``: where a seller's first window starts; ``silence_after``: how long without an
    ORDER_CHANGE, while a sweep finds missed orders, counts as a silent subscription; ``lease_seconds``: how
    long a crashed replica's hold on a seller lasts; ``concurrency``: sellers swept at once."""

    included_data: tuple[str, ...]
    interval: float = 900.0
    overlap: float = 600.0
    grace: float = 300.0
    lookback: float = 86_400.0
    silence_after: float = 21_600.0
    page_size: int = MAX_PAGE_SIZE
    lease_seconds: float = 120.0
    concurrency: int = 4
    # Windows restarted in one run because a page token expired or was refused, before the run fails.
    max_restarts: int = 2
    # Orders written per transaction, and after each transaction a pause of ``write_pause`` times its length:
    # a sweep holds the locks live notifications' writes need too only briefly, and at most
    # 1 / (1 + write_pause) of the time.
    write_chunk: int = 10
    write_pause: float = 1.0
