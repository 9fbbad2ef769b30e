"""One getOrder call for many notifications about the same order.

getOrder's usage plan is 0.5 requests per second (burst 30), and Amazon sends an order's notifications in
bursts (created, payment authorised, shipped, ... within seconds of each other), so one call per notification
would throttle a busy seller. Per key (seller, order id) the first caller starts a *pending* fetch that fires
after a short window; everyone arriving before it fires shares its result. A result is also kept for a short
while and handed to a later caller whose event it already reflects (the event time is not after the order's
``lastUpdatedTime``); a result that may predate the caller's event is never reused.

Pure asyncio, no I/O of its own: the fetch function is injected, which keeps it unit-testable.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


@dataclass
class _Pending(Generic[T]):
    future: asyncio.Future[T]
    fired: bool = False
    newest: datetime | None = None  # the newest event time of the callers it serves
    unbounded: bool = False  # a caller without an event time: only a fresh value serves it

    def serve(self, event_time: datetime | None) -> None:
        if event_time is None:
            self.unbounded = True
        elif self.newest is None or event_time > self.newest:
            self.newest = event_time

    @property
    def must_reflect(self) -> datetime | None:
        return None if self.unbounded else self.newest


@dataclass(frozen=True)
class _Cached(Generic[T]):
    value: T
    version: datetime
    expires_at: float


@dataclass
class CoalescerStats:
    """How the calls of a Coalescer were served: fetched, joined to a pending fetch, or reused."""

    fetches: int = 0
    joined: int = 0  # callers that shared a pending fetch someone else started
    reused: int = 0  # callers served from a recent result that already reflected their event


class Coalescer(Generic[K, T]):
    """``get(key, event_time)``: a value fetched after the caller arrived, or one that reflects its event.

    ``fetch(key, newest)`` is told the newest event time among the callers it serves (None when one of them
    has none): a value it already holds that reflects that event serves them all as well as a new one.
    ``version`` reads a fetched value's last-modified time (getOrder's ``lastUpdatedTime``). ``window`` is
    how long a pending fetch waits for company; ``ttl`` how long a result may be reused (it bounds memory:
    correctness comes from the version check).
    """

    def __init__(
        self,
        fetch: Callable[[K, datetime | None], Awaitable[T]],
        version: Callable[[T], datetime],
        *,
        window: float,
        ttl: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._fetch = fetch
        self._version = version
        self._window = window
        self._ttl = ttl
        self._clock = clock
        self._sleep = sleep
        self._pending: dict[K, _Pending[T]] = {}
        self._cache: dict[K, _Cached[T]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats = CoalescerStats()

    async def get(self, key: K, event_time: datetime | None) -> T:
        while True:
            reusable = self._reusable(key, event_time)
            if reusable is not None:
                self.stats.reused += 1
                return reusable
            pending = self._pending.get(key)
            if pending is None:
                pending = self._start(key)
                pending.serve(event_time)
            elif not pending.fired:
                self.stats.joined += 1
                pending.serve(event_time)
            else:
                # Already on its way to Amazon: it may have left before this event happened, so its result
                # counts only if it turns out to reflect the event. Otherwise go round and start a new one.
                try:
                    value = await asyncio.shield(pending.future)
                except Exception:  # its own joiners get the error; this caller fetches anew
                    self._forget(key, pending)
                    continue
                if covers(self._version(value), event_time):
                    self.stats.reused += 1
                    return value
                self._forget(key, pending)
                continue
            # Shielded: a caller that gives up (handler timeout) must not cancel everyone else's fetch.
            return await asyncio.shield(pending.future)

    def _reusable(self, key: K, event_time: datetime | None) -> T | None:
        cached = self._cache.get(key)
        if cached is None:
            return None
        if cached.expires_at <= self._clock():
            del self._cache[key]
            return None
        return cached.value if covers(cached.version, event_time) else None

    def _start(self, key: K) -> _Pending[T]:
        pending: _Pending[T] = _Pending(asyncio.get_running_loop().create_future())
        # Nobody may be left to await a failed fetch (every caller timed out): retrieve its exception so
        # asyncio does not log "exception was never retrieved".
        pending.future.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._pending[key] = pending
        task = asyncio.create_task(self._run(key, pending))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return pending

    async def _run(self, key: K, pending: _Pending[T]) -> None:
        try:
            if self._window > 0:
                await self._sleep(self._window)
            pending.fired = True
            self.stats.fetches += 1
            value = await self._fetch(key, pending.must_reflect)
        except asyncio.CancelledError:
            self._forget(key, pending)
            pending.future.cancel()
            raise
        except Exception as exc:
            self._forget(key, pending)
            pending.future.set_exception(exc)
            return
        self._prune()
        self._cache[key] = _Cached(value, self._version(value), self._clock() + self._ttl)
        self._forget(key, pending)
        pending.future.set_result(value)

    def _forget(self, key: K, pending: _Pending[T]) -> None:
        if self._pending.get(key) is pending:
            del self._pending[key]

    def _prune(self) -> None:
        if len(self._cache) < 1024:
            return
        now = self._clock()
        for stale in [k for k, c in self._cache.items() if c.expires_at <= now]:
            del self._cache[stale]

    async def aclose(self) -> None:
        """Cancel fetches still waiting or running (their callers get CancelledError)."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def covers(version: datetime, event_time: datetime | None) -> bool:
    """Whether a value last modified at ``version`` reflects an event at ``event_time``."""
    # Without an event time nothing proves the result reflects the event.
    return event_time is not None and event_time <= version
