"""The ledger settles each notification once, even when two deliveries race."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from store import ledger
from store.ledger import DeliveryFailure, LedgerEntry
from store.tables import NOTIFICATIONS, LedgerStatus

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def entry(notification_id: str = "n-1") -> LedgerEntry:
    return LedgerEntry(
        notification_id=notification_id,
        notification_type="ORDER_CHANGE",
        payload_version="1.0",
        selling_partner_id="A3TH9S8BH6GOGM",
        subscription_id="sub-1",
        event_time=NOW - timedelta(minutes=5),
        publish_time=NOW - timedelta(minutes=4),
        received_at=NOW,
        attempts=1,
        message_id="m-1",
        envelope="sqs",
    )


async def test_claim_once_then_duplicate(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        assert await ledger.claim(conn, entry(), LedgerStatus.PROCESSED, NOW)
    async with engine.begin() as conn:
        assert not await ledger.claim(conn, entry(), LedgerStatus.PROCESSED, NOW)
        assert await ledger.status_of(conn, "n-1") is LedgerStatus.PROCESSED
    async with engine.connect() as conn:
        row = (await conn.execute(select(NOTIFICATIONS))).one()
    assert row.event_time == NOW - timedelta(minutes=5)
    assert row.event_time.tzinfo is not None
    assert row.status == "processed"


async def test_rolled_back_claim_leaves_nothing(engine: AsyncEngine) -> None:
    class Boom(Exception):
        pass

    try:
        async with engine.begin() as conn:
            assert await ledger.claim(conn, entry(), LedgerStatus.PROCESSED, NOW)
            raise Boom
    except Boom:
        pass
    async with engine.connect() as conn:
        assert await ledger.status_of(conn, "n-1") is None


async def test_dead_lettered_can_be_claimed_by_a_replay_but_settled_cannot_be_dead_lettered(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await ledger.record_dead_letter(
            conn, entry(), NOW, "unknown_seller: no credentials for A3TH9S8BH6GOGM"
        )
        assert await ledger.status_of(conn, "n-1") is LedgerStatus.DEAD_LETTERED
    async with engine.begin() as conn:
        assert await ledger.claim(conn, entry(), LedgerStatus.PROCESSED, NOW)
    async with engine.begin() as conn:
        await ledger.record_dead_letter(conn, entry(), NOW, "late duplicate went bad")
        assert await ledger.status_of(conn, "n-1") is LedgerStatus.PROCESSED
        error = await conn.scalar(select(NOTIFICATIONS.c.error))
    assert error is None


async def test_racing_claims_have_exactly_one_winner(engine: AsyncEngine) -> None:
    async def attempt() -> bool:
        async with engine.begin() as conn:
            won = await ledger.claim(conn, entry("race"), LedgerStatus.PROCESSED, NOW)
            await asyncio.sleep(0.01)  # hold the transaction open so the others really overlap it
            return won

    results = await asyncio.gather(*(attempt() for _ in range(8)))
    assert results.count(True) == 1
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(NOTIFICATIONS)) == 1


async def test_first_failure_is_the_earliest(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for count, reason in ((2, "spapi"), (1, "database"), (3, "throttled")):
            await ledger.record_failure(
                conn,
                DeliveryFailure(
                    "m-9", "n-9", "ORDER_CHANGE", count, reason, f"try {count}", NOW + timedelta(count)
                ),
            )
    async with engine.connect() as conn:
        first = await ledger.first_failure(conn, "m-9")
        assert await ledger.first_failure(conn, "m-unknown") is None
    assert first is not None
    assert (first.reason, first.receive_count, first.error) == ("database", 1, "try 1")
