"""Dependency outages: while the database or SQS cannot be reached, the whole daemon stops receiving.

An outage is not a message's failure. Counting it as one would spend every message's receives (SQS's
``maxReceiveCount``) on a dependency that is down and dead-letter healthy notifications through the redrive.
So when a failure points at the database (or a ReceiveMessage fails), the gate probes the dependency once,
shared by every message that failed meanwhile; when the probe fails too, the gate closes: no poller receives,
messages in hand are released with a short visibility and counted in ``outage_releases_total``, not in
``failures_total`` nor in ``delivery_failures``. One recovery task probes the dependencies between the steps
of the daemon's Backoff, and opens the gate once every probe passes. The step resets after a good receive.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum

import structlog

from consumer.daemon.backoff import Backoff
from consumer.ops.health import HealthState
from consumer.ops.metrics import Metrics

log = structlog.get_logger("consumer")

# Between probes: 0.5-1 s, then 1-2 s, ... up to 7.5-15 s (equal jitter). The last step bounds how long the
# daemon stays paused after the dependency is back.
OUTAGE_BACKOFF = Backoff(base=1.0, maximum=15.0)
PROBE_TIMEOUT = 5.0  # a dependency that does not answer in time is down (a blackholed network never refuses)

Probe = Callable[[], Awaitable[object]]


class Dependency(StrEnum):
    """What the daemon cannot work without (the ``dependency`` label of the outage metrics)."""

    DATABASE = "database"
    SQS = "sqs"


class OutageGate:
    """Open while every dependency answers; closed (receiving paused) while one does not."""

    def __init__(
        self,
        probes: Mapping[Dependency, Probe],
        *,
        metrics: Metrics,
        health: HealthState,
        backoff: Backoff = OUTAGE_BACKOFF,
        probe_timeout: float = PROBE_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probes = probes
        self._metrics = metrics
        self._health = health
        self._backoff = backoff
        self._probe_timeout = probe_timeout
        self._clock = clock
        self._down: dict[Dependency, float] = {}  # since when
        self._open = asyncio.Event()
        self._open.set()
        self._step = 0
        self._recovery: asyncio.Task[None] | None = None
        self._checks: dict[Dependency, asyncio.Task[str | None]] = {}

    @property
    def is_open(self) -> bool:
        """Whether pollers may receive."""
        return not self._down

    def is_down(self, dependency: Dependency) -> bool:
        """Whether the gate is closed because of ``dependency``."""
        return dependency in self._down

    async def wait_open(self) -> None:
        """Return once no dependency is down."""
        await self._open.wait()

    def receive_succeeded(self) -> None:
        """A ReceiveMessage worked with the gate open: the next outage starts at the first backoff step."""
        if not self._down:
            self._step = 0

    async def confirm(self, dependency: Dependency) -> bool:
        """A failure suspects ``dependency``: True when it is down (the gate is then closed), after one probe
        shared by every caller that arrives while it runs."""
        if dependency in self._down:
            return True
        check = self._checks.get(dependency)
        if check is None or check.done():
            check = self._checks[dependency] = asyncio.create_task(
                self._probe(dependency), context=contextvars.Context()
            )
        # Shielded: one caller cancelled (a shutdown) must not cancel the probe the others wait for.
        error = await asyncio.shield(check)
        if error is None:
            return False
        self.trip(dependency, error)
        return True

    def trip(self, dependency: Dependency, error: str) -> None:
        """``dependency`` is down: close the gate (if it is not closed already) and start probing it."""
        if dependency in self._down:
            return
        self._down[dependency] = self._clock()
        self._open.clear()
        self._metrics.outages.labels(dependency.value).inc()
        self._metrics.receiving_paused.labels(dependency.value).set(1)
        self._report(dependency, error)
        if self._recovery is None or self._recovery.done():
            # A context of its own: the failing message's log fields are not the outage's.
            self._recovery = asyncio.create_task(
                self._recover(), name="outage-recovery", context=contextvars.Context()
            )
            log.warning("daemon.paused", dependency=dependency.value, error=error, step=self._step)
        else:
            log.warning("daemon.paused", dependency=dependency.value, error=error, down=self._names())

    async def close(self) -> None:
        """Stop probing (at shutdown)."""
        tasks = [t for t in (self._recovery, *self._checks.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _names(self) -> list[str]:
        return sorted(d.value for d in self._down)

    def _report(self, dependency: Dependency, error: str) -> None:
        if dependency is Dependency.DATABASE:
            self._health.database_failed(error)
        else:
            self._health.receive_failed(error)

    async def _probe(self, dependency: Dependency) -> str | None:
        """None when the dependency answers, else what went wrong (one line)."""
        try:
            async with asyncio.timeout(self._probe_timeout):
                await self._probes[dependency]()
        except TimeoutError:
            return f"no answer within {self._probe_timeout:g} s"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        return None

    async def _recover(self) -> None:
        while self._down:
            delay = self._backoff.delay(self._step)
            self._step += 1
            await asyncio.sleep(delay)
            for dependency in list(self._down):
                error = await self._probe(dependency)
                if error is None:
                    self._resume(dependency)
                    continue
                self._report(dependency, error)
                log.warning(
                    "daemon.still_down",
                    dependency=dependency.value,
                    error=error,
                    down_for_s=round(self._clock() - self._down[dependency], 1),
                    step=self._step,
                )
        self._open.set()

    def _resume(self, dependency: Dependency) -> None:
        since = self._down.pop(dependency)
        self._metrics.receiving_paused.labels(dependency.value).set(0)
        if dependency is Dependency.DATABASE:
            self._health.database_ok()
        else:
            self._health.receive_ok()
        log.info("daemon.resumed", dependency=dependency.value, down_for_s=round(self._clock() - since, 1))
