"""Replay against the moto server: what the filters select, that a dry run changes nothing, that the body and
the sender's attributes go back as they were, and that no failure (a refused send, a crash between send and
delete) ever loses a message."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from consumer.dlq.letters import DlqMessage
from consumer.dlq.replay import Action, Replayer, ReplayOutcome, Selection, Summary, Targets
from consumer.dlq.scan import DlqScan
from consumer.intake.dead_letter import OURS
from consumer.intake.queue import Queue
from handlers.errors import Reason
from tests.builders import eventbridge_event, example, notification_id_of, set_ids, steered
from tests.fixtures.dlq_entries import bodies_in, dead_lettered, dlq_queue, redriven, send_entries
from tests.fixtures.polling import eventually
from tests.fixtures.queues import Queues, drain, queue_depth

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class Dlq:
    """Five messages, as a DLQ holds them: our dead letters of three types, a malformed body, a redrive."""

    def __init__(self, queues: Queues) -> None:
        self.order = set_ids(example("OrderChangeNotification.json"))  # seller A3TH9S8BH6GOGM
        self.listing = set_ids(example("ListingsItemStatusChangeNotification.json"))  # seller A3AYAZLIQ7AX77
        self.report = eventbridge_event(set_ids(example("ReportProcessingFinishedNotification.json")))
        self.malformed = '{"NotificationType": "ORDER_CHANGE", '
        self.stuck = steered(SellerId="A2STUCK")
        self.entries = [
            dead_lettered(queues, self.order, Reason.SCHEMA_VIOLATION, at=T0),
            dead_lettered(queues, self.listing, Reason.HANDLER_REJECTED, at=T0 + timedelta(days=1)),
            dead_lettered(queues, self.report, Reason.UNKNOWN_SELLER, at=T0 + timedelta(days=2)),
            dead_lettered(queues, self.malformed, Reason.MALFORMED_JSON, at=T0 + timedelta(days=3)),
            redriven(self.stuck),
        ]
        self.names = ["order", "listing", "report", "malformed", "stuck"]
        self.ids: dict[str, str] = {}

    async def fill(self, sqs: Any, queues: Queues) -> None:
        self.ids = dict(zip(self.names, await send_entries(sqs, queues.dlq_url, self.entries), strict=True))

    def names_of(self, outcomes: Sequence[ReplayOutcome], action: Action) -> set[str]:
        by_id = {message_id: name for name, message_id in self.ids.items()}
        return {by_id[o.letter.message_id] for o in outcomes if o.action is action}


@pytest.fixture
async def dlq(sqs: Any, queues: Queues) -> Dlq:
    filled = Dlq(queues)
    await filled.fill(sqs, queues)
    return filled


async def replay(
    sqs: Any,
    queues: Queues,
    selection: Selection,
    *,
    dry_run: bool = False,
    dlq: Queue | None = None,
    targets: Targets | None = None,
    hold: int = 60,
) -> tuple[Summary, list[ReplayOutcome]]:
    outcomes: list[ReplayOutcome] = []
    replayer = Replayer(
        DlqScan(dlq or dlq_queue(sqs, queues), hold_seconds=hold, wait_seconds=0),
        targets or Targets(sqs, queues.url),
        selection,
        dry_run=dry_run,
        on_outcome=outcomes.append,
    )
    return await replayer.run(), outcomes


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (Selection.of(types=["ORDER_CHANGE"]), {"order"}),
        (Selection.of(types=["LISTINGS_ITEM_STATUS_CHANGE", "SPAPI_NOTIFY_TEST"]), {"listing", "stuck"}),
        (Selection.of(sellers=["A3TH9S8BH6GOGM"]), {"order", "report"}),
        (Selection.of(sellers=["A2STUCK"]), {"stuck"}),
        (Selection.of(reasons=["schema_violation", "MALFORMED_JSON"]), {"order", "malformed"}),
        (Selection.of(since=T0 + timedelta(hours=1), until=T0 + timedelta(days=3)), {"listing", "report"}),
        (Selection.of(until=T0 + timedelta(days=1)), {"order"}),
        (
            Selection.of(
                types=["ORDER_CHANGE", "REPORT_PROCESSING_FINISHED"],
                sellers=["A3TH9S8BH6GOGM"],
                reasons=["unknown_seller"],
            ),
            {"report"},
        ),
        (Selection.of(), {"order", "listing", "report", "malformed", "stuck"}),
    ],
)
async def test_filters_select_by_type_seller_reason_and_time(
    sqs: Any, queues: Queues, dlq: Dlq, selection: Selection, expected: set[str]
) -> None:
    summary, outcomes = await replay(sqs, queues, selection)

    assert dlq.names_of(outcomes, Action.REPLAYED) == expected
    assert dlq.names_of(outcomes, Action.SKIPPED) == set(dlq.names) - expected
    assert (summary.replayed, summary.skipped, summary.failed) == (len(expected), 5 - len(expected), 0)
    moved = await bodies_in(queues.url)
    assert sorted(moved) == sorted(dlq.entries[dlq.names.index(name)]["MessageBody"] for name in expected)
    # The rest is still in the DLQ, visible at once (not after the scan's hold).
    assert await queue_depth(queues.dlq_url) == (5 - len(expected), 0)


async def test_the_sent_time_stands_in_for_a_redriven_message_without_a_failure_time(
    sqs: Any, queues: Queues, dlq: Dlq
) -> None:
    _, outcomes = await replay(sqs, queues, Selection.of(since=datetime.now(UTC) - timedelta(minutes=5)))
    assert dlq.names_of(outcomes, Action.REPLAYED) == {"stuck"}


async def test_max_replays_at_most_that_many_and_leaves_the_rest(sqs: Any, queues: Queues, dlq: Dlq) -> None:
    summary, outcomes = await replay(sqs, queues, Selection.of(limit=2))

    assert summary.replayed == 2
    assert len(dlq.names_of(outcomes, Action.REPLAYED)) == 2
    assert await queue_depth(queues.url) == (2, 0)
    assert await queue_depth(queues.dlq_url) == (3, 0)


async def test_messages_are_described_from_their_bodies_and_our_attributes(
    sqs: Any, queues: Queues, dlq: Dlq
) -> None:
    _, outcomes = await replay(sqs, queues, Selection.of(), dry_run=True)
    letters: dict[str, DlqMessage] = {}
    for outcome in outcomes:
        letters[next(n for n, i in dlq.ids.items() if i == outcome.letter.message_id)] = outcome.letter

    order = letters["order"]
    assert (order.notification_type, order.seller, order.reason, order.failed_at) == (
        "ORDER_CHANGE",
        "A3TH9S8BH6GOGM",
        "schema_violation",
        T0,
    )
    assert order.notification_id == notification_id_of(dlq.order)
    assert order.source_queue == queues.arn
    assert order.dead_lettered_by_us
    report = letters["report"]  # through EventBridge, camelCase
    assert (report.notification_type, report.seller) == ("REPORT_PROCESSING_FINISHED", "A3TH9S8BH6GOGM")
    malformed = letters["malformed"]
    assert malformed.notification_type is None
    assert malformed.problem is not None
    assert "not valid JSON" in malformed.problem
    assert malformed.reason == "malformed_json"
    stuck = letters["stuck"]
    assert (stuck.reason, stuck.source_queue, stuck.dead_lettered_by_us) == (None, None, False)
    assert stuck.seller == "A2STUCK"


async def test_a_dry_run_moves_nothing_and_leaves_everything_visible(
    sqs: Any, queues: Queues, dlq: Dlq
) -> None:
    summary, outcomes = await replay(
        sqs, queues, Selection.of(types=["ORDER_CHANGE"]), dry_run=True, hold=600
    )

    assert dlq.names_of(outcomes, Action.WOULD_REPLAY) == {"order"}
    assert (summary.selected, summary.replayed, summary.skipped, summary.failed) == (1, 0, 4, 0)
    assert summary.line() == "dry run: would replay 1, skipped 4, failed 0"
    assert await queue_depth(queues.url) == (0, 0)
    # Released at the end of the scan, though the hold was ten minutes.
    assert await queue_depth(queues.dlq_url) == (5, 0)


async def test_the_body_goes_back_byte_identical_without_our_attributes(sqs: Any, queues: Queues) -> None:
    body = '{"NotificationType":"ORDER_CHANGE",  "odd":"spacing \\u00e9"}'  # any re-encoding would show
    own = {"trace": {"DataType": "String", "StringValue": "abc-123"}}
    entry = dead_lettered(queues, body, Reason.SCHEMA_VIOLATION, own_attributes=own)
    assert "trace" in entry["MessageAttributes"]
    await send_entries(sqs, queues.dlq_url, [entry])

    summary, _ = await replay(sqs, queues, Selection.of())

    assert summary.replayed == 1
    [message] = await drain(queues.url)
    assert message["Body"] == body
    attributes = message.get("MessageAttributes", {})
    assert not set(attributes) & set(OURS)
    assert attributes["trace"]["StringValue"] == "abc-123"


async def test_without_a_configured_queue_a_message_goes_back_to_its_source_queue(
    sqs: Any, queues: Queues, dlq: Dlq
) -> None:
    summary, outcomes = await replay(sqs, queues, Selection.of(), targets=Targets(sqs, None))

    # Our dead letters name their source queue; SQS's redrive records none, so that one cannot go back.
    assert dlq.names_of(outcomes, Action.REPLAYED) == {"order", "listing", "report", "malformed"}
    [failed] = [o for o in outcomes if o.action is Action.FAILED]
    assert failed.letter.message_id == dlq.ids["stuck"]
    assert failed.detail is not None
    assert "--to-queue-url" in failed.detail
    assert summary.failed == 1
    assert await queue_depth(queues.url) == (4, 0)
    assert await queue_depth(queues.dlq_url) == (1, 0)


class RefusingQueue(Queue):
    """A target whose SendMessageBatch reports some entries as failed (and does not send them)."""

    def __init__(self, client: Any, url: str, refuse: set[str]) -> None:
        super().__init__(client, url)
        self.refuse = refuse

    async def send_batch(self, entries: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
        kept = [
            e for e in entries if json.loads(e["MessageBody"]).get("Payload", {}).get("n") not in self.refuse
        ]
        refused = [e["Id"] for e in entries if e not in kept]
        sent, failed = await super().send_batch(kept)
        return sent, failed + refused


class RefusingTargets(Targets):
    def __init__(self, client: Any, url: str, refuse: set[str]) -> None:
        super().__init__(client, url)
        self.queue = RefusingQueue(client, url, refuse)

    async def for_letter(self, letter: DlqMessage) -> Queue:
        return self.queue


async def test_entries_that_were_not_sent_are_not_deleted(sqs: Any, queues: Queues) -> None:
    notifications = [steered(n=str(n)) for n in range(25)]
    await send_entries(sqs, queues.dlq_url, [dead_lettered(queues, n, Reason.SPAPI) for n in notifications])

    summary, outcomes = await replay(
        sqs, queues, Selection.of(), targets=RefusingTargets(sqs, queues.url, {"3", "17", "24"})
    )

    assert (summary.replayed, summary.failed) == (22, 3)
    failed = [o for o in outcomes if o.action is Action.FAILED]
    assert {json.loads(o.letter.message.body)["Payload"]["n"] for o in failed} == {"3", "17", "24"}
    assert all(o.detail and o.detail.startswith("send failed") for o in failed)
    assert await queue_depth(queues.url) == (22, 0)
    left = [json.loads(body)["Payload"]["n"] for body in await bodies_in(queues.dlq_url)]
    assert sorted(left) == ["17", "24", "3"]


class Crash(Exception):
    pass


class CrashingDlq(Queue):
    """Dies on its first DeleteMessageBatch: the batch was sent, its deletion never happens."""

    async def delete_batch(self, receipt_handles: Mapping[str, str]) -> list[str]:
        raise Crash


class KilledScan(DlqScan):
    """A process killed cannot release what it holds: the messages come back when their hold runs out."""

    async def release(self) -> int:
        return 0


async def test_a_crash_between_send_and_delete_duplicates_and_never_loses(sqs: Any, queues: Queues) -> None:
    notifications = [steered() for _ in range(23)]
    await send_entries(sqs, queues.dlq_url, [dead_lettered(queues, n, Reason.SPAPI) for n in notifications])
    expected = {notification_id_of(n) for n in notifications}

    crashing = Replayer(
        KilledScan(CrashingDlq(sqs, queues.dlq_url), hold_seconds=1, wait_seconds=0),
        Targets(sqs, queues.url),
        Selection.of(),
    )
    with pytest.raises(Crash):
        await crashing.run()

    # The first batch of ten was sent, and nothing was deleted: every message is still in the DLQ.
    assert await queue_depth(queues.url) == (10, 0)
    await eventually(lambda: queue_depth(queues.dlq_url), lambda depth: depth == (23, 0), what="holds expire")

    summary, _ = await replay(sqs, queues, Selection.of())

    assert (summary.replayed, summary.failed) == (23, 0)
    assert await queue_depth(queues.dlq_url) == (0, 0)
    replayed = [
        json.loads(body)["NotificationMetadata"]["NotificationId"] for body in await bodies_in(queues.url)
    ]
    assert set(replayed) == expected  # nothing lost
    assert len(replayed) == 33  # the crashed batch twice: harmless, the ledger skips the duplicate


async def test_a_crash_of_the_command_itself_releases_what_it_holds(sqs: Any, queues: Queues) -> None:
    await send_entries(
        sqs, queues.dlq_url, [dead_lettered(queues, steered(), Reason.SPAPI) for _ in range(12)]
    )
    crashing = Replayer(
        DlqScan(CrashingDlq(sqs, queues.dlq_url), hold_seconds=600, wait_seconds=0),
        Targets(sqs, queues.url),
        Selection.of(),
    )
    with pytest.raises(Crash):
        await crashing.run()
    # Not after the ten-minute hold: at once.
    assert await queue_depth(queues.dlq_url) == (12, 0)


async def test_a_hold_that_runs_out_during_the_scan_is_not_a_second_listing(sqs: Any, queues: Queues) -> None:
    await send_entries(
        sqs, queues.dlq_url, [dead_lettered(queues, steered(), Reason.SPAPI) for _ in range(3)]
    )
    scan = DlqScan(dlq_queue(sqs, queues), hold_seconds=1, wait_seconds=0)
    seen: list[str] = []
    async for batch in scan.batches():
        seen.extend(m.message_id for m in batch)
        if len(seen) == 3:
            # Wait (by polling) until the hold has run out and the messages are visible again.
            await eventually(lambda: queue_depth(queues.dlq_url), lambda depth: depth[0] == 3)
    await scan.release()
    assert len(seen) == len(set(seen)) == 3
