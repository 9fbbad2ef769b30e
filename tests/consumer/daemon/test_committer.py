"""The group committer's promise, on both databases: notifications ready together share one transaction, and
one bad member never fails the others (each gets its own result or error)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from consumer.daemon.committer import GroupCommitter
from handlers.contract import Effect
from store.ledger import LedgerEntry
from tests.fixtures.steered_plugin import TEST_EFFECTS
from tests.fixtures.tables import effects, ledger

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

# (notification id, connection) of every effect applied, in order; the connections are kept so that `is`
# tells which effects shared a transaction.
Applied = list[tuple[str, AsyncConnection]]


class BadEffect(Exception):
    pass


def entry(notification_id: str) -> LedgerEntry:
    return LedgerEntry(
        notification_id=notification_id,
        notification_type="SPAPI_NOTIFY_TEST",
        payload_version="1.0",
        selling_partner_id="A3TH9S8BH6GOGM",
        subscription_id="sub-1",
        event_time=NOW,
        publish_time=NOW,
        received_at=NOW,
        attempts=1,
        message_id=f"m-{notification_id}",
        envelope="sqs",
    )


def effect(notification_id: str, applied: Applied, *, fails: bool = False) -> Effect:
    """Writes one ``test_effects`` row; a failing one raises after writing it, so a rollback must undo it."""

    async def apply(connection: AsyncConnection) -> None:
        applied.append((notification_id, connection))
        row = {"notification_id": notification_id, "applied_at": NOW}
        await connection.execute(TEST_EFFECTS.insert().values(row))
        if fails:
            raise BadEffect(notification_id)

    return Effect(apply=apply, summary=notification_id)


async def commit_together(
    committer: GroupCommitter, members: list[tuple[LedgerEntry, Effect]]
) -> list[bool | BaseException]:
    """``commit()`` for every member from tasks started together, so that they queue into one group."""
    return await asyncio.gather(
        *(committer.commit(member, effect) for member, effect in members), return_exceptions=True
    )


@pytest.mark.usefixtures("migrated_url")
async def test_one_bad_member_never_fails_the_others(engine: AsyncEngine) -> None:
    applied: Applied = []
    members = [
        (entry("good-1"), effect("good-1", applied)),
        (entry("good-2"), effect("good-2", applied)),
        (entry("bad"), effect("bad", applied, fails=True)),
        (entry("good-3"), effect("good-3", applied)),
        (entry("good-1"), effect("good-1", applied)),  # delivered twice into the same group
    ]

    results = await commit_together(GroupCommitter(engine, clock=lambda: NOW), members)

    assert results[:2] == [True, True]
    assert isinstance(results[2], BadEffect)
    assert str(results[2]) == "bad"
    assert results[3:] == [True, False]
    assert await ledger(engine) == {"good-1": "processed", "good-2": "processed", "good-3": "processed"}
    assert await effects(engine) == {"good-1": 1, "good-2": 1, "good-3": 1}  # the bad one's row rolled back
    # They were tried as one group first: the members up to the bad one shared a transaction.
    assert [notification_id for notification_id, _ in applied[:3]] == ["good-1", "good-2", "bad"]
    group = applied[0][1]
    assert applied[1][1] is group
    assert applied[2][1] is group
    assert all(connection is not group for _, connection in applied[3:])


@pytest.mark.usefixtures("migrated_url")
async def test_a_notification_delivered_twice_into_one_group_is_committed_once(engine: AsyncEngine) -> None:
    applied: Applied = []
    members = [
        (entry("n-1"), effect("n-1", applied)),
        (entry("n-2"), effect("n-2", applied)),
        (entry("n-1"), effect("n-1", applied)),
    ]

    results = await commit_together(GroupCommitter(engine, clock=lambda: NOW), members)

    assert results == [True, True, False]
    assert await ledger(engine) == {"n-1": "processed", "n-2": "processed"}
    assert await effects(engine) == {"n-1": 1, "n-2": 1}
    assert [notification_id for notification_id, _ in applied] == ["n-1", "n-2"]
    assert applied[0][1] is applied[1][1]  # one transaction for the group
