"""Moving dead-lettered messages back to the queue they came from, selected by filters.

Order of operations, per batch of ten: SendMessageBatch to the target, then DeleteMessageBatch from the DLQ
of exactly the entries SQS reported as sent. A crash between the two leaves the message in both queues: it
is delivered again and, on a later replay, sent again; the ledger makes the duplicate harmless. Nothing is
ever deleted that was not sent. Messages not selected (and messages whose send failed) are left in the DLQ
and made visible again when the scan ends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import structlog
from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.dlq.letters import DlqMessage, describe, resend_attributes, with_first_failures
from consumer.dlq.scan import DlqScan
from consumer.intake.queue import MAX_BATCH, Queue, QueueConfigurationError, queue_url_for_arn
from spapi.notifications import canonical_type

log = structlog.get_logger("consumer.dlq.replay")


@dataclass(frozen=True)
class Selection:
    """Which DLQ messages to replay; an empty set means "any". Times compare with ``DlqMessage.when``."""

    types: frozenset[str] = frozenset()
    sellers: frozenset[str] = frozenset()
    reasons: frozenset[str] = frozenset()
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None

    @classmethod
    def of(
        cls,
        *,
        types: Sequence[str] = (),
        sellers: Sequence[str] = (),
        reasons: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> Selection:
        return cls(
            types=frozenset(canonical_type(t.strip()) for t in types),
            sellers=frozenset(s.strip() for s in sellers),
            reasons=frozenset(r.strip().lower() for r in reasons),
            since=since,
            until=until,
            limit=limit,
        )

    @property
    def everything(self) -> bool:
        return not (self.types or self.sellers or self.reasons or self.since or self.until) and (
            self.limit is None
        )

    def matches(self, letter: DlqMessage) -> bool:
        if self.types and letter.notification_type not in self.types:
            return False
        if self.sellers and letter.seller not in self.sellers:
            return False
        if self.reasons and (letter.reason or "").lower() not in self.reasons:
            return False
        when = letter.when
        if self.since is not None and (when is None or when < self.since):
            return False
        return not (self.until is not None and (when is None or when >= self.until))


class Action(StrEnum):
    """What replay did with one DLQ message."""

    REPLAYED = "replayed"
    WOULD_REPLAY = "would_replay"  # a dry run's selected message
    SKIPPED = "skipped"  # not selected: left in the DLQ
    FAILED = "failed"  # selected, but still in the DLQ (and possibly already sent: see ``detail``)


@dataclass(frozen=True)
class ReplayOutcome:
    """What replay did with one DLQ message; ``target`` is the queue it went to, ``detail`` why it failed."""

    letter: DlqMessage
    action: Action
    target: str | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        described = self.letter.to_json()
        return {"kind": "message", "action": self.action.value, **described, "target": self.target,
                "detail": self.detail}  # fmt: skip


@dataclass
class Summary:
    """The counts of a replay (or a dry run), for its last line and its JSON summary."""

    dry_run: bool
    replayed: int = 0
    selected: int = 0
    skipped: int = 0
    failed: int = 0
    release_refused: int = 0
    move_task: str | None = None

    def line(self) -> str:
        if self.dry_run:
            return f"dry run: would replay {self.selected}, skipped {self.skipped}, failed {self.failed}"
        return f"replayed {self.replayed}, skipped {self.skipped}, failed {self.failed}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "summary",
            "dry_run": self.dry_run,
            "replayed": self.replayed,
            "selected": self.selected,
            "skipped": self.skipped,
            "failed": self.failed,
            "release_refused": self.release_refused,
            "move_task": self.move_task,
        }

    def count(self, outcome: ReplayOutcome) -> None:
        if outcome.action is Action.REPLAYED:
            self.replayed += 1
        elif outcome.action is Action.SKIPPED:
            self.skipped += 1
        elif outcome.action is Action.FAILED:
            self.failed += 1


OnOutcome = Callable[[ReplayOutcome], None]


class Targets:
    """Where a message goes back to: the configured queue, else the source queue named in its attributes."""

    def __init__(self, client: Any, fixed_url: str | None) -> None:
        self.client = client
        self.fixed_url = fixed_url
        self._by_arn: dict[str, Queue] = {}
        self._queues: dict[str, Queue] = {}

    async def for_letter(self, letter: DlqMessage) -> Queue:
        if self.fixed_url is not None:
            return self._queue(self.fixed_url)
        if letter.source_queue is None:
            raise QueueConfigurationError(
                "no source queue known for this message (SQS's redrive records none): pass --to-queue-url "
                "or set SPAPI_NOTIFY_QUEUE_URL"
            )
        if letter.source_queue not in self._by_arn:
            url = await queue_url_for_arn(self.client, letter.source_queue)
            self._by_arn[letter.source_queue] = self._queue(url)
        return self._by_arn[letter.source_queue]

    def _queue(self, url: str) -> Queue:
        return self._queues.setdefault(url, Queue(self.client, url))


@dataclass
class _Pending:
    queue: Queue
    letters: list[DlqMessage] = field(default_factory=list)


class Replayer:
    """One replay (or dry run) over the DLQ; ``on_outcome`` hears about every message scanned."""

    def __init__(
        self,
        scan: DlqScan,
        targets: Targets,
        selection: Selection,
        *,
        dry_run: bool = False,
        engine: AsyncEngine | None = None,
        on_outcome: OnOutcome | None = None,
    ) -> None:
        self.scan = scan
        self.dlq = scan.queue
        self.targets = targets
        self.selection = selection
        self.dry_run = dry_run
        self.engine = engine
        self.on_outcome = on_outcome
        self.summary = Summary(dry_run=dry_run)
        self._pending: dict[str, _Pending] = {}

    async def run(self) -> Summary:
        try:
            await self._scan_and_move()
            await self._flush_all()
        finally:
            # Also on an error or a cancellation: whatever is still held goes back to being visible now
            # rather than when the hold runs out. (A killed process cannot do this; the hold then decides.)
            self.summary.release_refused = await self.scan.release()
        return self.summary

    async def _scan_and_move(self) -> None:
        limit = self.selection.limit
        async for batch in self.scan.batches():
            letters = [describe(message) for message in batch]
            if self.engine is not None:
                letters = await with_first_failures(self.engine, letters)
            for letter in letters:
                full = limit is not None and self.summary.selected >= limit
                if full or not self.selection.matches(letter):
                    self._report(ReplayOutcome(letter, Action.SKIPPED))
                    continue
                self.summary.selected += 1
                if self.dry_run:
                    self._report(ReplayOutcome(letter, Action.WOULD_REPLAY))
                else:
                    await self._add(letter)
            if limit is not None and self.summary.selected >= limit:
                return

    async def _add(self, letter: DlqMessage) -> None:
        try:
            queue = await self.targets.for_letter(letter)
        except QueueConfigurationError as exc:
            self._report(ReplayOutcome(letter, Action.FAILED, detail=str(exc)))
            return
        if queue.url == self.dlq.url:
            self._report(ReplayOutcome(letter, Action.FAILED, detail="the target queue is the DLQ itself"))
            return
        pending = self._pending.setdefault(queue.url, _Pending(queue))
        pending.letters.append(letter)
        if len(pending.letters) >= MAX_BATCH:
            await self._flush(pending)

    async def _flush_all(self) -> None:
        for pending in list(self._pending.values()):
            await self._flush(pending)

    async def _flush(self, pending: _Pending) -> None:
        letters, pending.letters = pending.letters, []
        if not letters:
            return
        target = pending.queue.url
        by_id = {str(index): letter for index, letter in enumerate(letters)}
        entries = [_entry(key, letter) for key, letter in by_id.items()]
        try:
            sent, failed = await pending.queue.send_batch(entries)
        except (ClientError, BotoCoreError) as exc:
            for letter in letters:
                self._report(ReplayOutcome(letter, Action.FAILED, target, f"send failed: {exc}"))
            return
        for key in failed:
            self._report(
                ReplayOutcome(by_id[key], Action.FAILED, target, "send failed: SQS refused the entry")
            )
        await self._delete_sent([by_id[key] for key in sent], target)

    async def _delete_sent(self, letters: list[DlqMessage], target: str) -> None:
        if not letters:
            return
        handles = {letter.message_id: self.scan.receipt_handle(letter.message_id) for letter in letters}
        not_deleted_detail = "sent, but not deleted from the DLQ: replaying it again sends a duplicate"
        try:
            refused = set(await self.dlq.delete_batch(handles))
        except (ClientError, BotoCoreError) as exc:
            for letter in letters:
                self._report(ReplayOutcome(letter, Action.FAILED, target, f"{not_deleted_detail} ({exc})"))
            return
        for letter in letters:
            if letter.message_id in refused:
                self._report(ReplayOutcome(letter, Action.FAILED, target, not_deleted_detail))
            else:
                self.scan.forget(letter.message_id)
                self._report(ReplayOutcome(letter, Action.REPLAYED, target))

    def _report(self, outcome: ReplayOutcome) -> None:
        self.summary.count(outcome)
        if outcome.action is Action.FAILED:
            log.warning(
                "replay.failed",
                message_id=outcome.letter.message_id,
                notification_id=outcome.letter.notification_id,
                detail=outcome.detail,
            )
        if self.on_outcome is not None:
            self.on_outcome(outcome)


def _entry(key: str, letter: DlqMessage) -> dict[str, Any]:
    # The body goes back byte for byte: it is what Amazon sent, and the ledger's idempotency rests on the
    # notification id inside it.
    entry: dict[str, Any] = {"Id": key, "MessageBody": letter.message.body}
    attributes = resend_attributes(letter.message)
    if attributes:
        entry["MessageAttributes"] = attributes
    return entry
