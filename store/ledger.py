"""The ledger: which notifications have had their effects committed, so each is applied exactly once.

``claim`` runs inside the transaction that writes the handler's effects. Its row insert is what serialises
two deliveries of one notification: on PostgreSQL the second insert waits for the first transaction and then
finds the row; on SQLite writers are serialised by the database lock. A dead_lettered row can be claimed
again (a replayed message whose cause was fixed); processed and ignored rows cannot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store.tables.notifications import DELIVERY_FAILURES, NOTIFICATIONS, LedgerStatus
from store.upsert import insert_for_dialect

SETTLED = frozenset({LedgerStatus.PROCESSED, LedgerStatus.IGNORED})


@dataclass(frozen=True)
class LedgerEntry:
    """A notification's ledger row, before it is settled: who it is and how it was delivered."""

    notification_id: str
    notification_type: str
    payload_version: str
    selling_partner_id: str | None
    subscription_id: str | None
    event_time: datetime | None
    publish_time: datetime | None
    received_at: datetime
    attempts: int
    message_id: str | None
    envelope: str | None

    def row(self, status: LedgerStatus, at: datetime, error: str | None = None) -> dict[str, object]:
        return {
            "notification_id": self.notification_id,
            "notification_type": self.notification_type,
            "payload_version": self.payload_version,
            "selling_partner_id": self.selling_partner_id,
            "subscription_id": self.subscription_id,
            "event_time": self.event_time,
            "publish_time": self.publish_time,
            "received_at": self.received_at,
            "processed_at": at,
            "status": status.value,
            "attempts": self.attempts,
            "error": error,
            "message_id": self.message_id,
            "envelope": self.envelope,
        }


_STATUS_OF = select(NOTIFICATIONS.c.status).where(NOTIFICATIONS.c.notification_id == bindparam("id"))


async def status_of(connection: AsyncConnection, notification_id: str) -> LedgerStatus | None:
    """The notification's ledger status, or None when it has no row."""
    found = await connection.scalar(_STATUS_OF, {"id": notification_id})
    return None if found is None else LedgerStatus(found)


LOOKUP_SIZE = 10  # one SQS receive batch


@cache
def _settled_lookup() -> Any:
    # A fixed number of parameters (short lists are padded) keeps this one compiled, cached statement.
    return select(NOTIFICATIONS.c.notification_id).where(
        NOTIFICATIONS.c.notification_id.in_([bindparam(f"id{i}") for i in range(LOOKUP_SIZE)]),
        NOTIFICATIONS.c.status.in_([status.value for status in SETTLED]),
    )


async def settled_among(connection: AsyncConnection, notification_ids: Sequence[str]) -> set[str]:
    """Those of the ids whose notifications are already settled (processed or ignored)."""
    found: set[str] = set()
    for start in range(0, len(notification_ids), LOOKUP_SIZE):
        chunk = list(notification_ids[start : start + LOOKUP_SIZE])
        chunk += [chunk[-1]] * (LOOKUP_SIZE - len(chunk))
        rows = await connection.execute(_settled_lookup(), {f"id{i}": value for i, value in enumerate(chunk)})
        found.update(rows.scalars())
    return found


async def claim(connection: AsyncConnection, entry: LedgerEntry, status: LedgerStatus, at: datetime) -> bool:
    """Record ``entry`` as settled with ``status``; False when it already was (a duplicate delivery).

    Call inside the transaction that commits the notification's effects, before writing them.
    """
    if status not in SETTLED:
        raise ValueError(f"claim settles a notification; {status} is not a settled status")
    statement = _claim_statement(connection.dialect.name)
    return (await connection.execute(statement, entry.row(status, at))).first() is not None


async def claim_many(
    connection: AsyncConnection, claims: Sequence[tuple[LedgerEntry, LedgerStatus]], at: datetime
) -> set[str]:
    """``claim`` for several notifications in one statement; returns the ids claimed now.

    The ids must be distinct (one statement cannot insert and then update the same row).
    """
    if not claims:
        return set()
    for _, status in claims:
        if status not in SETTLED:
            raise ValueError(f"claim settles a notification; {status} is not a settled status")
    rows = [entry.row(status, at) for entry, status in claims]
    if len({row["notification_id"] for row in rows}) != len(rows):
        raise ValueError("claim_many needs distinct notification ids")
    result = await connection.execute(_claim_statement(connection.dialect.name), rows)
    return set(result.scalars())


async def record_dead_letter(
    connection: AsyncConnection, entry: LedgerEntry, at: datetime, error: str
) -> None:
    """Record that the notification went to the DLQ, unless it was settled before (then nothing changes)."""
    await connection.execute(
        _upsert_unless_settled(connection.dialect.name), entry.row(LedgerStatus.DEAD_LETTERED, at, error)
    )


@cache
def _claim_statement(dialect: str) -> Any:
    return _upsert_unless_settled(dialect).returning(NOTIFICATIONS.c.notification_id)


@cache
def _upsert_unless_settled(dialect: str) -> Any:
    """INSERT a ledger row, or overwrite an existing one only while that one is dead_lettered.

    Built once per dialect with bound parameters, so SQLAlchemy compiles it once: this runs per message.
    """
    columns = [column.name for column in NOTIFICATIONS.columns]
    statement = insert_for_dialect(dialect, NOTIFICATIONS).values({name: bindparam(name) for name in columns})
    return statement.on_conflict_do_update(
        index_elements=[NOTIFICATIONS.c.notification_id],
        set_={name: statement.excluded[name] for name in columns if name != "notification_id"},
        where=NOTIFICATIONS.c.status == LedgerStatus.DEAD_LETTERED.value,
    )


@dataclass(frozen=True)
class DeliveryFailure:
    """One transient failure of one delivery (the message stayed in the queue)."""

    message_id: str
    notification_id: str | None
    notification_type: str | None
    receive_count: int
    reason: str
    error: str
    failed_at: datetime


async def record_failure(connection: AsyncConnection, failure: DeliveryFailure) -> None:
    """Add a row to ``delivery_failures``."""
    await connection.execute(
        DELIVERY_FAILURES.insert().values(
            message_id=failure.message_id,
            notification_id=failure.notification_id,
            notification_type=failure.notification_type,
            receive_count=failure.receive_count,
            reason=failure.reason,
            error=failure.error,
            failed_at=failure.failed_at,
        )
    )


async def first_failure(connection: AsyncConnection, message_id: str) -> DeliveryFailure | None:
    """The earliest transient failure recorded for an SQS message (what replay shows for redriven ones)."""
    row = (
        await connection.execute(
            select(DELIVERY_FAILURES)
            .where(DELIVERY_FAILURES.c.message_id == message_id)
            .order_by(DELIVERY_FAILURES.c.failed_at, DELIVERY_FAILURES.c.id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return DeliveryFailure(
        message_id=row.message_id,
        notification_id=row.notification_id,
        notification_type=row.notification_type,
        receive_count=row.receive_count,
        reason=row.reason,
        error=row.error,
        failed_at=row.failed_at,
    )
