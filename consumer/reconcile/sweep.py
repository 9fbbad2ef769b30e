"""The sweep of one seller: searchOrders over a window of lastUpdatedTime, every order written through the
ORDER_CHANGE handler's rows and upsert (and its never-go-backwards guard), page by page.

The window runs from the seller's high-water mark less ``overlap`` (a first sweep: ``lookback`` before now;
``since`` when asked) to ``grace`` before now. A page's last transaction commits its last orders with the
sweep's progress (the next page's token), every transaction renewing the seller's lease, so a crash
resumes at the page after the last completed one, on whichever replica sweeps the seller next, and two
replicas never sweep one seller at once. A page token older than 24 hours, or one Amazon refuses,
restarts the window from its first page; orders already written are not written again (the guard). When
the window is done the high-water mark moves to its end.

An order counts as **missed** when the sweep's write wins the guard: Amazon holds a version
(lastUpdatedTime) of the order that no notification had brought to the table. **Changed** counts the orders
changed at Amazon after the previous high-water mark (all of them on a first sweep), whether a notification
brought them or not: missed / changed is the share of changes the notifications lost.

Quota: the sweep calls only searchOrders, through the client's shared rate budget; notifications call
getOrder, which Amazon meters in a bucket of its own, so a sweep never takes a slot a live notification
needs. When searchOrders' quota would make a page wait longer than the client's maximum wait, the sweep
pauses (its progress kept) and the next one resumes.

The database is shared differently: a transaction writing orders holds the locks live notifications'
writes need too (SQLite's write lock; PostgreSQL's change-feed lock). So a page writes only the orders
whose stored version is older (read first, without a lock), in transactions of at most ``write_chunk``
orders, one at a time per process, each followed by a pause ``write_pause`` times as long as it took.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.ops.metrics import Metrics
from consumer.reconcile.config import ReconcileConfig
from consumer.reconcile.lease import LeaseLost, SweepLease, hold_lease, sweep_lease_name
from consumer.reconcile.progress import NoProgress, Progress
from consumer.reconcile.result import (
    BUSY,
    COMPLETED,
    DRY_RUN,
    FAILED,
    INTERRUPTED,
    NOT_DUE,
    PAUSED,
    SKIPPED,
    SweepResult,
)
from consumer.reconcile.silence import is_silent
from handlers.order_rows import OrderRows, order_rows, utc
from spapi.client import SpApiClient
from spapi.errors import BadRequest, RateLimitWaitExceeded, SpApiError
from spapi.models.orders import Order
from spapi.regions import Region
from store.outputs.orders import upsert_order
from store.reconcile import (
    ReconcileState,
    RunCounts,
    Window,
    begin_run,
    finish_run,
    load_state,
    record_counts,
    record_page,
    stored_versions,
)
from store.seller_directory import SellerCredentials, SellerDirectory
from store.sellers import account_kind

log = structlog.get_logger("consumer.reconcile")

Clock = Callable[[], datetime]
ClientFor = Callable[[Region], SpApiClient]
# Called with a page's orders (model and Amazon's JSON), the next page's token and when the page came.
PageHandler = Callable[[Sequence[Order], Sequence[dict[str, Any]], str | None, datetime], Awaitable[None]]

TOKEN_LIFETIME = timedelta(hours=24)
# A token this close to its 24 hours is not sent: it could expire on the way.
TOKEN_USABLE = TOKEN_LIFETIME - timedelta(minutes=10)


@dataclass
class _Run:
    """One sweep in progress: the seller, the window and where in it, the mark it started from, counts."""

    credentials: SellerCredentials
    window: Window
    started: float
    mark: datetime | None = None
    token: str | None = None
    issued: datetime | None = None
    resumed: bool = False
    run_id: int | None = None
    counts: RunCounts = field(default_factory=RunCounts)


class TooManyRestarts(RuntimeError):
    """The window was restarted more often than allowed in one run (its page tokens keep being refused)."""


class EmptyWindow(ValueError):
    """The window would end before it starts (``since`` is later than ``grace`` before now)."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def describe(exc: BaseException) -> str:
    """An error as the runs table and the logs keep it: Amazon's errors in full (they carry no secrets);
    database and parsing errors by kind only, as their text can quote rows, including buyer data."""
    if isinstance(exc, SpApiError | TooManyRestarts | LeaseLost):
        return str(exc)
    if isinstance(exc, SQLAlchemyError):
        orig = getattr(exc, "orig", None)
        cause = type(orig).__name__ if orig is not None else ""
        return f"database: {type(exc).__name__}{f' ({cause})' if cause else ''}"
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]["loc"] if exc.errors() else ()
        where = ".".join(str(part) for part in first)
        return f"searchOrders answer did not match the model: {exc.error_count()} error(s), first at {where}"
    return type(exc).__name__


class Sweeper:
    """Sweeps sellers, each under its own lease (see the module docstring); ``clients`` gives the SP-API
    client of a region."""

    def __init__(
        self,
        engine: AsyncEngine,
        sellers: SellerDirectory,
        clients: ClientFor,
        config: ReconcileConfig,
        metrics: Metrics,
        *,
        replica: str,
        clock: Clock = _utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self.sellers = sellers  # whose credentials the sweeps run under (commands list and check them here)
        self._clients = clients
        self._config = config
        self._metrics = metrics
        self._replica = replica
        self._clock = clock
        self._monotonic = monotonic
        # One page transaction at a time in this process, however many sellers are being swept.
        self._writing = asyncio.Lock()

    def __repr__(self) -> str:
        return f"Sweeper(replica={self._replica!r})"

    def window(self, state: ReconcileState | None, since: datetime | None, now: datetime) -> Window:
        """The window a new sweep would search: from ``since``, else the high-water mark less the overlap,
        else the look-back; to ``grace`` before now."""
        before = now - timedelta(seconds=self._config.grace)
        if since is not None:
            after = utc(since)
        elif state is not None and state.high_water_mark is not None:
            after = state.high_water_mark - timedelta(seconds=self._config.overlap)
        else:
            after = now - timedelta(seconds=self._config.lookback)
        if after > before:
            raise EmptyWindow(
                f"the window would start at {after.isoformat()}, after its end {before.isoformat()} "
                f"({self._config.grace:g} s before now)"
            )
        return Window(after, before)

    async def sweep(
        self,
        seller_id: str,
        *,
        since: datetime | None = None,
        dry_run: bool = False,
        due_only: bool = False,
        progress: Progress | None = None,
    ) -> SweepResult:
        """Sweep the seller (UnknownSeller when we hold no credentials for it). ``due_only``: only when its
        last sweep ended an interval ago (the daemon's schedule). ``dry_run``: search and compare only."""
        progress = progress or NoProgress()
        credentials = await self.sellers.credentials(seller_id)
        region = credentials.region.value
        if account_kind(seller_id) == "vendor":
            return SweepResult(seller_id, SKIPPED, region=region)
        if dry_run:
            return await self._dry_run(credentials, since, progress)
        name = sweep_lease_name(seller_id, region)
        async with hold_lease(self._engine, name, self._replica, self._config.lease_seconds) as lease:
            if lease is None:
                return SweepResult(seller_id, BUSY, region=region)
            return await self._sweep(credentials, lease, since=since, due_only=due_only, progress=progress)

    def is_due(self, state: ReconcileState | None, now: datetime) -> bool:
        """Whether a seller in ``state`` is due for its periodic sweep at ``now``."""
        if state is None or state.last_run_at is None or state.run_id is not None:
            # Never swept, or a run that another process left unfinished (it held the lease we now hold).
            return True
        if state.window is not None and state.last_outcome == INTERRUPTED:
            return True  # its replica stopped mid-window (a shutdown): another picks it up at once
        return state.last_run_at + timedelta(seconds=self._config.interval) <= now

    async def _sweep(
        self,
        credentials: SellerCredentials,
        lease: SweepLease,
        *,
        since: datetime | None,
        due_only: bool,
        progress: Progress,
    ) -> SweepResult:
        seller_id, region = credentials.seller_id, credentials.region.value
        started, now = self._monotonic(), self._clock()
        state = await load_state(self._engine, seller_id, region)
        if due_only and not self.is_due(state, now):
            return SweepResult(seller_id, NOT_DUE, region=region)
        run = _Run(credentials, self.window(state, since, now), started=started)
        if state is not None:
            run.mark = state.high_water_mark
            if state.window is not None and since is None:
                run.window, run.token, run.issued, run.resumed = (
                    state.window,
                    state.next_token,
                    state.token_issued_at,
                    True,
                )
        async with self._engine.begin() as connection:
            await lease.fence(connection)
            run.run_id = await begin_run(
                connection,
                seller_id=seller_id,
                region=region,
                window=run.window,
                next_token=run.token,
                token_issued_at=run.issued,
                resumed=run.resumed,
                replica=self._replica,
                now=now,
            )
        outcome, error, own_state, reported = COMPLETED, None, True, None
        try:
            reported = await self._search(run, self._writer(run, lease, progress))
        except RateLimitWaitExceeded as exc:
            outcome, error = PAUSED, str(exc)
        except LeaseLost as exc:
            outcome, error, own_state = INTERRUPTED, str(exc), False
        except asyncio.CancelledError:
            # Shutting down: the committed pages stay and the next sweep resumes after them.
            with contextlib.suppress(Exception):
                await asyncio.shield(self._finish(run, INTERRUPTED, "stopped", None, own_state=True))
            raise
        except Exception as exc:
            outcome, error = FAILED, describe(exc)
            self._metrics.sweep_failures.labels(seller=seller_id).inc()
        finished = await self._finish(run, outcome, error, reported, own_state=own_state)
        silent = outcome != INTERRUPTED and await is_silent(
            self._engine,
            self._metrics,
            seller_id=seller_id,
            orders_missed=run.counts.orders_missed,
            now=finished,
            silence_after=self._config.silence_after,
        )
        result = SweepResult(
            seller_id,
            outcome,
            region=region,
            window=run.window,
            counts=run.counts,
            run_id=run.run_id,
            resumed=run.resumed,
            error=error,
            duration=self._monotonic() - started,
            silent=silent,
        )
        log.info("reconcile.sweep", **result.as_json())
        progress.seller_done(result)
        return result

    def _writer(self, run: _Run, lease: SweepLease, progress: Progress) -> PageHandler:
        """Each page's orders through the handler's rows and upsert, in short transactions that renew the
        lease; the last of a page's transactions also records where the next page starts."""
        seller_id, size = run.credentials.seller_id, self._config.write_chunk

        async def write(
            orders: Sequence[Order], raws: Sequence[dict[str, Any]], next_token: str | None, at: datetime
        ) -> None:
            page = RunCounts(pages=1, orders_seen=len(orders))
            # Most orders are usually as the notifications left them: read before taking any lock, and
            # write only the orders that may be newer.
            stored = await stored_versions(self._engine, [order.order_id for order in orders])
            writes = []
            for order, raw in zip(orders, raws, strict=True):
                version = utc(order.last_updated_time)
                if run.mark is None or version > run.mark:
                    page.orders_changed += 1
                held = stored.get(order.order_id)
                if held is None or held < version:
                    writes.append(order_rows(order, raw, seller_id=seller_id, now=at))
            chunks = [writes[i : i + size] for i in range(0, len(writes), size)] or [[]]
            for index, chunk in enumerate(chunks):
                last = index == len(chunks) - 1
                part = page if last else RunCounts()
                await self._write_chunk(run, lease, chunk, part, last=last, next_token=next_token, at=at)
            progress.page(seller_id, run.counts)

        return write

    async def _write_chunk(
        self,
        run: _Run,
        lease: SweepLease,
        chunk: Sequence[OrderRows],
        part: RunCounts,
        *,
        last: bool,
        next_token: str | None,
        at: datetime,
    ) -> None:
        """One transaction of a page: a few orders (a transaction holds the locks live notifications' writes
        need too: SQLite's write lock, PostgreSQL's change-feed lock), the run's counters, and, in the
        page's last one, the next page's token. A crash before that one leaves the token where it was: the
        page is searched again, and its orders already written are as stored, not written twice."""
        seller_id, region = run.credentials.seller_id, run.credentials.region.value
        assert run.run_id is not None
        async with self._writing:
            began = self._monotonic()
            async with self._engine.begin() as connection:
                await lease.fence(connection)
                for rows in chunk:
                    # The guard decides, as for a notification: a newer row written meanwhile stays.
                    if await upsert_order(connection, rows.order, rows.items):
                        part.orders_missed += 1
                if last:
                    await record_page(
                        connection,
                        seller_id=seller_id,
                        region=region,
                        run_id=run.run_id,
                        counts=_added(run.counts, part),
                        next_token=next_token,
                        token_issued_at=at if next_token else None,
                        now=at,
                    )
                else:
                    await record_counts(connection, run_id=run.run_id, counts=_added(run.counts, part))
            _accumulate(run.counts, part)
            self._metrics.orders_missed.labels(seller=seller_id).inc(part.orders_missed)
            # Live notifications go first: leave them at least ``write_pause`` times as long as this took.
            await asyncio.sleep((self._monotonic() - began) * self._config.write_pause)

    async def _finish(
        self, run: _Run, outcome: str, error: str | None, reported: datetime | None, *, own_state: bool
    ) -> datetime:
        """Record the run's end; returns when. A completed window moves the high-water mark to its end (or
        to the earlier bound Amazon says it applied) when it started at or before the mark."""
        now = self._clock()
        complete = outcome == COMPLETED
        new_mark = None
        if complete and (run.mark is None or run.window.after <= run.mark):
            new_mark = run.window.before if reported is None else min(run.window.before, utc(reported))
        assert run.run_id is not None
        async with self._engine.begin() as connection:
            await finish_run(
                connection,
                seller_id=run.credentials.seller_id,
                region=run.credentials.region.value,
                run_id=run.run_id,
                counts=run.counts,
                outcome=outcome,
                error=error,
                now=now,
                duration=self._monotonic() - run.started,
                complete=complete,
                high_water_mark=new_mark,
                own_state=own_state,
            )
        if new_mark is not None:
            lag = (now - new_mark).total_seconds()
            self._metrics.reconcile_lag.labels(seller=run.credentials.seller_id).set(lag)
        return now

    async def _dry_run(
        self, credentials: SellerCredentials, since: datetime | None, progress: Progress
    ) -> SweepResult:
        seller_id, region = credentials.seller_id, credentials.region.value
        started, now = self._monotonic(), self._clock()
        state = await load_state(self._engine, seller_id, region)
        run = _Run(credentials, self.window(state, since, now), started=started)
        run.mark = state.high_water_mark if state is not None else None
        counts = run.counts

        async def compare(
            orders: Sequence[Order], raws: Sequence[dict[str, Any]], next_token: str | None, at: datetime
        ) -> None:
            stored = await stored_versions(self._engine, [order.order_id for order in orders])
            counts.pages += 1
            for order in orders:
                version = utc(order.last_updated_time)
                counts.orders_seen += 1
                if run.mark is None or version > run.mark:
                    counts.orders_changed += 1
                held = stored.get(order.order_id)
                if held is None or held < version:
                    counts.orders_missed += 1
            progress.page(seller_id, counts)

        outcome, error = DRY_RUN, None
        try:
            await self._search(run, compare)
        except RateLimitWaitExceeded as exc:
            outcome, error = PAUSED, str(exc)
        except Exception as exc:
            outcome, error = FAILED, describe(exc)
        result = SweepResult(
            seller_id,
            outcome,
            region=region,
            window=run.window,
            counts=counts,
            error=error,
            duration=self._monotonic() - started,
        )
        progress.seller_done(result)
        return result

    async def _search(self, run: _Run, on_page: PageHandler) -> datetime | None:
        """Page through the run's window from its token (None: the first page), handing each page to
        ``on_page``; returns the lastUpdatedBefore Amazon says it applied, if it says."""
        credentials, window, counts = run.credentials, run.window, run.counts
        token, issued = run.token, run.issued
        client = self._clients(credentials.region)
        while True:
            if token is not None and issued is not None and self._clock() - issued >= TOKEN_USABLE:
                self._restart(credentials.seller_id, counts, "the page token is 24 hours old")
                token = None
            try:
                page = await client.orders.search_orders(
                    credentials.partner,
                    marketplace_ids=credentials.marketplace_ids,
                    last_updated_after=window.after,
                    last_updated_before=window.before,
                    included_data=self._config.included_data,
                    max_results_per_page=self._config.page_size,
                    pagination_token=token,
                )
            except BadRequest as exc:
                if token is None:
                    raise
                self._restart(credentials.seller_id, counts, f"Amazon refused the page token ({exc})")
                token = None
                continue
            at = self._clock()
            raws = page.raw.get("orders") if isinstance(page.raw, dict) else None
            next_token = page.data.pagination.next_token if page.data.pagination else None
            await on_page(page.data.orders, list(raws or []), next_token, at)
            if next_token is None:
                return page.data.last_updated_before
            token, issued = next_token, at

    def _restart(self, seller_id: str, counts: RunCounts, reason: str) -> None:
        counts.restarts += 1
        if counts.restarts > self._config.max_restarts:
            raise TooManyRestarts(f"window restarted {counts.restarts - 1} times; last: {reason}")
        log.warning("reconcile.window_restarted", seller=seller_id, reason=reason)


def _added(counts: RunCounts, page: RunCounts) -> RunCounts:
    total = RunCounts(**counts.values())
    _accumulate(total, page)
    return total


def _accumulate(counts: RunCounts, page: RunCounts) -> None:
    counts.pages += page.pages
    counts.orders_seen += page.orders_seen
    counts.orders_changed += page.orders_changed
    counts.orders_missed += page.orders_missed
