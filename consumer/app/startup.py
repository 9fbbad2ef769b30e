"""Start-up: wait for the database, with the daemon's backoff and a log line per attempt, for at most
SPAPI_NOTIFY_STARTUP_TIMEOUT seconds; then give up with one line (exit status 2, see consumer.cli.support).

A database that starts after the daemon (a container set coming up, a failover) is the common case, not an
error; one that never answers is a set-up error to name clearly, with its URL's password masked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.daemon.backoff import Backoff
from consumer.daemon.outage import OUTAGE_BACKOFF, PROBE_TIMEOUT
from store.engine import ping

log = structlog.get_logger("consumer")


class DatabaseUnreachable(RuntimeError):
    """The database did not answer within the start-up timeout."""


async def wait_for_database(
    engine: AsyncEngine,
    limit: float,
    *,
    backoff: Backoff = OUTAGE_BACKOFF,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Return once the database answers; raise DatabaseUnreachable after ``limit`` seconds of trying."""
    where = engine.url.render_as_string(hide_password=True)
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        remaining = limit - (clock() - started)
        try:
            async with asyncio.timeout(max(0.1, min(PROBE_TIMEOUT, remaining))):
                await ping(engine)
        except Exception as exc:
            error = _one_line(exc)
        else:
            if attempt > 1:
                log.info(
                    "database.reachable", database=where, attempts=attempt, waited_s=_since(clock, started)
                )
            return
        remaining = limit - (clock() - started)
        if remaining <= 0:
            raise DatabaseUnreachable(
                f"the database {where} did not answer within {limit:g} s "
                f"(SPAPI_NOTIFY_STARTUP_TIMEOUT): {error}"
            )
        pause = min(backoff.delay(attempt - 1), remaining)
        log.warning(
            "database.waiting",
            database=where,
            attempt=attempt,
            error=error,
            retry_in_s=round(pause, 1),
            waited_s=_since(clock, started),
        )
        await asyncio.sleep(pause)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer"
    # SQLAlchemy appends the statement and its parameters on later lines.
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


def _since(clock: Callable[[], float], started: float) -> float:
    return round(clock() - started, 1)
