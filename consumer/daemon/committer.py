"""Group commit: notifications that are ready at the same moment share one database transaction.

Each notification still gets its own ledger claim and its own effects, in the order they were submitted;
what is shared is BEGIN and COMMIT (and, on SQLite, one turn at the write lock). Under load this is most of
the per-message database cost. If anything in a group fails, the group is rolled back and every member is
committed again on its own, so one bad member never fails the others: each gets its own result or error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from handlers.contract import Effect
from store import ledger
from store.ledger import LedgerEntry

MAX_GROUP = 50


@dataclass
class _Pending:
    entry: LedgerEntry
    effect: Effect
    done: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupCommitter:
    """Commits the claims and effects of notifications ready together in shared transactions."""

    def __init__(
        self, engine: AsyncEngine, clock: Callable[[], datetime], max_group: int = MAX_GROUP
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._max_group = max_group
        self._pending: list[_Pending] = []
        self._running: asyncio.Task[None] | None = None

    async def commit(self, entry: LedgerEntry, effect: Effect) -> bool:
        """Claim the notification and apply its effect, durably; False when it was already settled."""
        pending = _Pending(entry, effect)
        self._pending.append(pending)
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._run())
        # Shielded: a caller cancelled mid-commit must not cancel the group its neighbours are in.
        return await asyncio.shield(pending.done)

    async def _run(self) -> None:
        while self._pending:
            group, self._pending = self._pending[: self._max_group], self._pending[self._max_group :]
            try:
                results = await self._commit_group(group)
            except Exception:
                for member in group:
                    await self._commit_alone(member)
                continue
            for member, claimed in zip(group, results, strict=True):
                if not member.done.done():
                    member.done.set_result(claimed)

    async def _commit_group(self, group: list[_Pending]) -> list[bool]:
        if len(group) == 1:
            return [await self._commit_one(group[0])]
        # One multi-row claim for the group. A notification delivered twice into one group is claimed by its
        # first delivery only: the others are duplicates already.
        first: dict[str, _Pending] = {}
        for member in group:
            first.setdefault(member.entry.notification_id, member)
        async with self._engine.begin() as connection:
            claimed = await ledger.claim_many(
                connection, [(m.entry, m.effect.status) for m in first.values()], self._clock()
            )
            results = []
            for member in group:
                notification_id = member.entry.notification_id
                won = notification_id in claimed and first[notification_id] is member
                if won and member.effect.apply is not None:
                    await member.effect.apply(connection)
                results.append(won)
            return results

    async def _commit_alone(self, member: _Pending) -> None:
        try:
            claimed = await self._commit_one(member)
        except Exception as exc:
            if not member.done.done():
                member.done.set_exception(exc)
        else:
            if not member.done.done():
                member.done.set_result(claimed)

    async def _commit_one(self, member: _Pending) -> bool:
        async with self._engine.begin() as connection:
            claimed = await self._apply(connection, member)
            if not claimed:
                await connection.rollback()
            return claimed

    async def _apply(self, connection: AsyncConnection, member: _Pending) -> bool:
        # The claim comes first: a concurrent delivery of the same notification waits here, then sees it.
        if not await ledger.claim(connection, member.entry, member.effect.status, self._clock()):
            return False
        if member.effect.apply is not None:
            await member.effect.apply(connection)
        return True
