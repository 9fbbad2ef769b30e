"""The daemon's pruning of the change feed: changes older than the retention go, every few minutes.

Every replica prunes (deleting a prefix is idempotent, and each batch is a short transaction of its own), so
nothing depends on one process staying up; a failed prune is logged and tried again next time.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta

import structlog
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncEngine

from store.changes.prune import prune_changes

log = structlog.get_logger("consumer.changes")

PRUNE_EVERY = 600.0  # seconds between prunes of one replica (jittered by a tenth either way)


async def prune_forever(
    engine: AsyncEngine, retention: timedelta, pruned: Counter, every: float = PRUNE_EVERY
) -> None:
    """Prune changes older than ``retention`` now and every ``every`` seconds, until cancelled."""
    while True:
        try:
            deleted = await prune_changes(engine, datetime.now(UTC) - retention)
        except Exception as exc:
            log.warning("changes.prune_failed", error=f"{type(exc).__name__}: {exc}".splitlines()[0])
        else:
            pruned.inc(deleted)
            if deleted:
                log.info("changes.pruned", deleted=deleted, retention_days=retention / timedelta(days=1))
        await asyncio.sleep(every * random.uniform(0.9, 1.1))  # noqa: S311 (spreads replicas, not a secret)


@asynccontextmanager
async def pruning(engine: AsyncEngine, retention: timedelta | None, pruned: Counter) -> AsyncIterator[None]:
    """Prune in the background while the context is open (nothing when ``retention`` is None: forever)."""
    if retention is None:
        yield
        return
    task = asyncio.create_task(prune_forever(engine, retention, pruned), name="prune-changes")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
