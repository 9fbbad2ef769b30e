"""What one sweep of one seller did: its outcome, window and counts, for logs, the CLI and its JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from store.reconcile import RunCounts, Window

# The outcomes of a sweep. Recorded in reconcile_runs: completed, paused, failed, interrupted.
COMPLETED = "completed"  # the window is swept; the high-water mark moved to its end
PAUSED = "paused"  # searchOrders' quota needs a longer wait than allowed: the next sweep resumes
FAILED = "failed"  # an error ended it; the pages committed stay, and the next sweep resumes
INTERRUPTED = "interrupted"  # the process stopped (or lost its lease) mid-sweep; the next sweep resumes
# Not recorded: no run took place.
BUSY = "busy"  # another replica is sweeping the seller
NOT_DUE = "not_due"  # swept less than an interval ago (the daemon's schedule)
SKIPPED = "skipped"  # a vendor account: it has no orders
DRY_RUN = "dry_run"  # searched and compared, nothing written


@dataclass(frozen=True)
class SweepResult:
    """One seller's sweep. In a dry run, ``orders_missed`` counts the orders a sweep would have written."""

    seller_id: str
    outcome: str
    region: str | None = None
    window: Window | None = None
    counts: RunCounts = field(default_factory=RunCounts)
    run_id: int | None = None
    resumed: bool = False
    error: str | None = None
    duration: float = 0.0
    silent: bool = False

    def as_json(self) -> dict[str, Any]:
        """The result as one JSON object (``spapi-notify reconcile --json``)."""
        return {
            "seller_id": self.seller_id,
            "region": self.region,
            "outcome": self.outcome,
            "window_after": self.window.after.isoformat() if self.window else None,
            "window_before": self.window.before.isoformat() if self.window else None,
            **self.counts.values(),
            "run_id": self.run_id,
            "resumed": self.resumed,
            "duration_seconds": round(self.duration, 3),
            "subscription_silent": self.silent,
            "error": self.error,
        }

    def line(self) -> str:
        """The result as one line of text."""
        counts = self.counts
        text = f"{self.seller_id}: {self.outcome}"
        if self.window is not None:
            text += f" [{self.window.after.isoformat()} .. {self.window.before.isoformat()}]"
        if counts.pages or self.outcome in (COMPLETED, DRY_RUN):
            missed = "would write" if self.outcome == DRY_RUN else "missed"
            text += (
                f", {counts.pages} page(s), {counts.orders_seen} seen, {counts.orders_changed} changed, "
                f"{counts.orders_missed} {missed}"
            )
        if self.resumed:
            text += ", resumed"
        if self.silent:
            text += ", subscription silent"
        if self.error:
            text += f": {self.error}"
        return text
