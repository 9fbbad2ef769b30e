"""Sweeping several sellers at once, as a command does: a few at a time, one result each, and the totals."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from consumer.reconcile.progress import Progress
from consumer.reconcile.result import COMPLETED, DRY_RUN, FAILED, SKIPPED, SweepResult
from consumer.reconcile.sweep import Sweeper, describe

# Outcomes that mean the seller was reconciled as asked (a vendor has no orders to reconcile).
DONE = frozenset({COMPLETED, DRY_RUN, SKIPPED})


async def sweep_sellers(
    sweeper: Sweeper,
    seller_ids: Sequence[str],
    *,
    concurrency: int,
    since: datetime | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> list[SweepResult]:
    """Sweep each seller, ``concurrency`` at a time; an error is that seller's ``failed`` result."""
    limit = asyncio.Semaphore(concurrency)

    async def one(seller_id: str) -> SweepResult:
        async with limit:
            try:
                return await sweeper.sweep(seller_id, since=since, dry_run=dry_run, progress=progress)
            except Exception as exc:
                result = SweepResult(seller_id, FAILED, error=describe(exc))
                if progress is not None:
                    progress.seller_done(result)
                return result

    return list(await asyncio.gather(*(one(seller_id) for seller_id in seller_ids)))


@dataclass(frozen=True)
class Totals:
    """What a command's sweeps did together."""

    sellers: int
    done: int
    pages: int
    orders_seen: int
    orders_changed: int
    orders_missed: int

    @classmethod
    def of(cls, results: Sequence[SweepResult]) -> Totals:
        """The totals of these results."""
        return cls(
            sellers=len(results),
            done=sum(1 for r in results if r.outcome in DONE),
            pages=sum(r.counts.pages for r in results),
            orders_seen=sum(r.counts.orders_seen for r in results),
            orders_changed=sum(r.counts.orders_changed for r in results),
            orders_missed=sum(r.counts.orders_missed for r in results),
        )

    @property
    def all_done(self) -> bool:
        """Whether every seller was reconciled as asked."""
        return self.done == self.sellers

    def as_json(self) -> dict[str, Any]:
        """The totals as the command's closing JSON object."""
        return {"kind": "summary", **self.__dict__, "not_done": self.sellers - self.done}

    def line(self, *, dry_run: bool) -> str:
        """The totals as the command's closing line."""
        missed = "would be written" if dry_run else "missed"
        return (
            f"{self.done}/{self.sellers} seller(s) reconciled: {self.pages} page(s), "
            f"{self.orders_seen} orders seen, {self.orders_changed} changed, {self.orders_missed} {missed}"
        )
