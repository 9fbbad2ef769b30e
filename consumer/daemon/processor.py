"""Processing one SQS message: unwrap, validate, de-duplicate, handle, and commit effects with the ledger row.

Nothing here talks to SQS: the result is an Outcome the daemon acts on (delete, dead-letter, or back off).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.daemon.committer import GroupCommitter
from consumer.daemon.failures import classify
from consumer.daemon.identity import Identity
from consumer.daemon.outcome import DeadLetter, Outcome, Retry, Settled
from consumer.daemon.storable import check_storable, ledger_problems
from consumer.intake.message import SqsMessage
from consumer.intake.unwrap import unwrap
from consumer.ops.metrics import Metrics
from handlers.contract import Handler, needs_duplicate_lookup
from handlers.errors import PermanentError, Reason
from handlers.registry import Registry
from spapi.notifications import Notification, parse_notification
from store import ledger
from store.engine import read_only
from store.ledger import DeliveryFailure, LedgerEntry
from store.tables import LedgerStatus

log = structlog.get_logger("consumer")

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Parsed:
    """A valid notification of ours, with its ledger entry, not yet settled."""

    notification: Notification[Any]
    identity: Identity
    entry: LedgerEntry


class Processor:
    """Unwraps, validates, de-duplicates and handles messages, committing effects with the ledger row."""

    def __init__(
        self,
        engine: AsyncEngine,
        registry: Registry,
        metrics: Metrics,
        *,
        application_id: str | None,
        handler_timeout: float = 600.0,
        future_tolerance: float = 300.0,
        clock: Clock = utcnow,
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.metrics = metrics
        self.application_id = application_id
        self.handler_timeout = handler_timeout
        self.future_tolerance = future_tolerance
        self.clock = clock
        self.committer = GroupCommitter(engine, clock)

    def parse(self, message: SqsMessage) -> Parsed | Outcome:
        """Unwrap and validate a message: a Parsed notification ready to settle, or the outcome already."""
        received_at = self.clock()
        identity: Identity | None = None
        try:
            unwrapped = unwrap(message.body)
            try:
                notification = parse_notification(unwrapped.notification)
            except Exception:
                # Invalid: what identity it has is guessed (only then: a guess costs a walk of the payload).
                identity = Identity.guess(unwrapped.notification)
                raise
            # Without a ledger row it could store, the notification is dead-lettered with no identity.
            identity = None if ledger_problems(notification) else Identity.of(notification)
            self._check_application(notification)
            handler = self.registry.resolve(notification.notification_type, notification.payload_version)
            check_storable(notification, handler, received_at, self.future_tolerance)
        except Exception as exc:
            return classify(exc, identity)
        assert identity is not None  # ledger_problems would have raised in check_storable
        self._observe_age(identity, received_at)
        envelope = "+".join(unwrapped.wrappers) or "sqs"
        return Parsed(notification, identity, _ledger_entry(identity, message, received_at, envelope))

    async def settled_among(self, batch: Sequence[Parsed]) -> set[str]:
        """Which of these notifications are settled already: one query for a whole received batch.

        A redelivery of a settled notification then costs no handler work (no SP-API call). Best effort:
        when the lookup fails, nothing is skipped and the ledger claim still catches duplicates.
        """
        ids = [p.identity.notification_id for p in batch if needs_duplicate_lookup(self._handler(p))]
        if not ids:
            return set()
        try:
            async with read_only(self.engine) as connection:
                return await ledger.settled_among(connection, ids)
        except Exception as exc:
            log.debug("ledger.lookup_failed", error=type(exc).__name__)
            return set()

    async def settle(self, parsed: Parsed, *, already_settled: bool = False) -> Outcome:
        """Run the handler and commit its effect with the ledger row."""
        if already_settled:
            return Settled("duplicate", parsed.identity)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.handler_timeout):
                outcome = await self._settle(parsed)
        except Exception as exc:  # every failure becomes an outcome: one message never stops the loop
            return classify(exc, parsed.identity)
        self.metrics.handler_latency.labels(parsed.identity.notification_type).observe(
            time.perf_counter() - started
        )
        return outcome

    def _check_application(self, notification: Notification[Any]) -> None:
        if self.application_id is None:
            return
        theirs = notification.metadata.application_id
        if theirs != self.application_id:
            raise PermanentError(
                Reason.FOREIGN_APPLICATION,
                f"notification {notification.metadata.notification_id} is for application {theirs!r}, "
                f"not ours ({self.application_id}, SPAPI_NOTIFY_APPLICATION_ID)",
            )

    def _observe_age(self, identity: Identity, now: datetime) -> None:
        published = identity.publish_time or identity.event_time
        if published is not None:
            self.metrics.message_age.observe(max(0.0, (now - published).total_seconds()))

    def _handler(self, parsed: Parsed) -> Handler:
        return self.registry.resolve(
            parsed.notification.notification_type, parsed.notification.payload_version
        )

    async def _settle(self, parsed: Parsed) -> Settled:
        effect = await self._handler(parsed).prepare(parsed.notification)
        if not await self.committer.commit(parsed.entry, effect):
            return Settled("duplicate", parsed.identity)
        status: Literal["processed", "ignored"] = (
            "ignored" if effect.status is LedgerStatus.IGNORED else "processed"
        )
        return Settled(status, parsed.identity, effect.summary)

    async def record_dead_letter(self, message: SqsMessage, outcome: DeadLetter) -> None:
        """Ledger row dead_lettered when the notification had an id; best effort (the DLQ has the message)."""
        if outcome.identity is None:
            return
        entry = _ledger_entry(outcome.identity, message, self.clock(), envelope=None)
        try:
            async with self.engine.begin() as connection:
                await ledger.record_dead_letter(connection, entry, self.clock(), str(outcome.error)[:2000])
        except Exception as exc:
            log.warning(
                "ledger.dead_letter_not_recorded", error=f"{type(exc).__name__}: {exc}".splitlines()[0]
            )

    async def record_failure(self, message: SqsMessage, outcome: Retry) -> None:
        """Remember a transient failure (what replay shows if SQS redrives the message); best effort."""
        identity = outcome.identity
        failure = DeliveryFailure(
            message_id=message.message_id,
            notification_id=identity.notification_id if identity else None,
            notification_type=identity.notification_type if identity else None,
            receive_count=message.receive_count,
            reason=outcome.reason.value,
            error=outcome.error[:2000],
            failed_at=self.clock(),
        )
        try:
            async with self.engine.begin() as connection:
                await ledger.record_failure(connection, failure)
        except Exception as exc:
            # Typically the database is what failed; the message is retried either way.
            log.debug("ledger.failure_not_recorded", error=f"{type(exc).__name__}")


def _ledger_entry(
    identity: Identity, message: SqsMessage, received_at: datetime, envelope: str | None
) -> LedgerEntry:
    return LedgerEntry(
        notification_id=identity.notification_id,
        notification_type=identity.notification_type,
        payload_version=identity.payload_version,
        selling_partner_id=identity.selling_partner_id,
        subscription_id=identity.subscription_id,
        event_time=identity.event_time,
        publish_time=identity.publish_time,
        received_at=received_at,
        attempts=message.receive_count,
        message_id=message.message_id,
        envelope=envelope,
    )
