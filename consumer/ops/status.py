"""The state the /status page shows, and the board it is handed over on between two threads.

The event loop owns every database and SQS call: it publishes an immutable ``StatusSnapshot`` on the
``StatusBoard`` (consumer.ops.status_refresher), every SPAPI_NOTIFY_STATUS_INTERVAL seconds for the cheap
parts (queue depths, the rate budget) and, when the page asks, with the ledger's parts too. The HTTP thread
never touches the database: it asks for a fresh snapshot, waits a moment for the loop to publish one, and
renders whatever is newest (saying how old it is). A wedged event loop therefore shows as a stale page,
never as a stuck one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from consumer.intake.depth import QueueDepth
from store.status import BudgetInUse, LastNotification, ReasonCount, RecentDeadLetter


@dataclass(frozen=True)
class ReconcileRow:
    """A seller's reconciliation: how far it is swept, its last run, and the orders it found missed lately."""

    seller: str
    region: str
    high_water_mark: datetime | None
    last_run_at: datetime | None
    last_outcome: str | None
    missed_recently: int


@dataclass(frozen=True)
class LedgerView:
    """The parts read from the ledger and the reconciliation tables, only when the page asks."""

    taken_at: datetime
    last_notifications: Sequence[LastNotification]
    dead_letter_reasons: Sequence[ReasonCount]
    recent_dead_letters: Sequence[RecentDeadLetter]
    failure_reasons: Sequence[ReasonCount]
    reconcile: Sequence[ReconcileRow]


@dataclass(frozen=True)
class StatusSnapshot:
    """What the page shows, as of ``taken_at`` (UTC). A queue whose depth could not be read maps to None;
    ``problems`` names every part that could not be read, and why."""

    taken_at: datetime
    replica: str
    queues: Mapping[str, QueueDepth | None]
    budget: Sequence[BudgetInUse]
    ledger: LedgerView | None
    problems: Sequence[str] = field(default_factory=tuple)


class StatusBoard:
    """The newest snapshot, handed from the event loop to the HTTP thread (see the module docstring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._changed = threading.Condition()
        self._snapshot: StatusSnapshot | None = None
        # Page requests are numbered; a snapshot answers those taken (take_request) before its refresh began.
        # One begun before a request (a periodic refresh, without the ledger's parts) does not answer it.
        self._asks = 0
        self._taken = 0
        self._answered = 0
        self._asked_at: float | None = None
        self._wake: Callable[[], object] = lambda: None

    def attach(self, wake: Callable[[], object]) -> None:
        """The refresher's way to be woken from another thread (loop.call_soon_threadsafe of an event set)."""
        self._wake = wake

    @property
    def latest(self) -> StatusSnapshot | None:
        """The newest snapshot published, or None before the first."""
        return self._snapshot

    def publish(self, snapshot: StatusSnapshot) -> None:
        """Event loop: make ``snapshot`` the newest, and wake the page requests it answers (those taken by the
        ``take_request`` before it)."""
        with self._changed:
            self._snapshot = snapshot
            self._answered = self._taken
            self._changed.notify_all()

    def take_request(self) -> float | None:
        """Event loop: when (on the board's clock) the page asked for the ledger's parts since the last call,
        or None; the request is taken."""
        with self._changed:
            asked, self._asked_at = self._asked_at, None
            self._taken = self._asks
        return asked

    def fresh(self, timeout: float) -> StatusSnapshot | None:
        """HTTP thread: ask the loop for a snapshot with the ledger's parts and wait up to ``timeout``
        seconds for it to be published; returns the newest snapshot either way (None before the first)."""
        with self._changed:
            self._asks += 1
            ask = self._asks
            self._asked_at = self._clock()
        try:
            self._wake()
        except RuntimeError:  # the event loop is closed: the daemon is stopping; show the newest
            return self._snapshot
        with self._changed:
            self._changed.wait_for(lambda: self._answered >= ask, timeout)
            return self._snapshot
