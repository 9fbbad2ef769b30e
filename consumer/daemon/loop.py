"""The loop: long-polling receivers, bounded concurrency, acting on outcomes, and a graceful shutdown.

Pollers ask SQS only for as many messages as there are free in-flight slots, so a received message starts
at once and the heartbeat keeps it invisible for as long as its handler runs. While the database or SQS
cannot be reached, the outage gate pauses every poller (consumer.daemon.outage): messages in hand go back to
the queue for ``retry_backoff_base`` seconds, and no receive is spent until a probe passes. On stop():
receiving stops (a long poll under way is waited for, and what it brings is released), in-flight messages get
``shutdown_grace`` seconds to finish, the rest are made visible again at once (visibility 0) for another
consumer, pending deletes are flushed, and run() returns.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from consumer.daemon.backoff import retry_visibility
from consumer.daemon.capacity import Capacity
from consumer.daemon.deleter import BatchDeleter
from consumer.daemon.heartbeat import Heartbeat
from consumer.daemon.in_flight import InFlight
from consumer.daemon.outage import PROBE_TIMEOUT, Dependency, OutageGate
from consumer.daemon.outcome import DeadLetter, Outcome, Retry, Settled
from consumer.daemon.processor import Parsed, Processor
from consumer.daemon.shutdown import GracefulShutdown, release
from consumer.intake.dead_letter import DeadLetterQueue
from consumer.intake.message import SqsMessage
from consumer.intake.queue import DAEMON_SYSTEM_ATTRIBUTES, MAX_BATCH, Queue
from consumer.ops.health import HealthState
from consumer.ops.metrics import Metrics
from handlers.errors import Reason
from store.engine import ping

log = structlog.get_logger("consumer")

DATABASE_CHECK_INTERVAL = 5.0  # also how soon an idle daemon notices an outage
# Beyond the long poll's wait, how long a shutdown waits for a receive under way to be answered.
RECEIVE_ANSWER_MARGIN = 5.0
# Transient failures that a database outage can cause: each asks the outage gate whether the database is down.
# Each ReceiveMessage costs about the same whatever it brings, so receives are kept full: a poller waits this
# long for a whole batch of in-flight slots to be free; and while receives come back thin (the queue has no
# backlog) only the first poller receives, pausing this long after a thin batch so that messages gather, and
# the others wait until a receive comes back full again.
GATHER_SECONDS = 0.05
OUTAGE_SUSPECTS = frozenset({Reason.DATABASE, Reason.TIMEOUT, Reason.HANDLER_ERROR})


@dataclass(frozen=True)
class DaemonConfig:
    """How the loop receives, retries and stops (from the SPAPI_NOTIFY_* settings of the same names)."""

    pollers: int = 2
    max_in_flight: int = 40
    visibility_timeout: int = 300
    receive_wait_seconds: int = 20
    retry_backoff_base: float = 10.0
    retry_backoff_max: float = 900.0
    shutdown_grace: float = 30.0


class Daemon:
    """Receives, processes and acknowledges until stop() (see the module docstring)."""

    def __init__(
        self,
        config: DaemonConfig,
        *,
        queue: Queue,
        dead_letters: DeadLetterQueue,
        processor: Processor,
        metrics: Metrics,
        health: HealthState,
    ) -> None:
        self.config = config
        self.queue = queue
        self.dead_letters = dead_letters
        self.processor = processor
        self.metrics = metrics
        self.health = health
        self.capacity = Capacity(config.max_in_flight)
        self.in_flight = InFlight()
        self.deleter = BatchDeleter(queue, metrics)
        self.heartbeat = Heartbeat(queue, self.in_flight, config.visibility_timeout, metrics)
        self.shutdown = GracefulShutdown(
            config.shutdown_grace,
            queue,
            self.in_flight,
            self.deleter,
            metrics,
            receive_deadline=config.receive_wait_seconds + RECEIVE_ANSWER_MARGIN,
        )
        self.gate = OutageGate(
            {Dependency.DATABASE: lambda: ping(processor.engine), Dependency.SQS: queue.attributes},
            metrics=metrics,
            health=health,
        )
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._receiving: set[asyncio.Task[None]] = set()  # pollers holding a receive (or its answer)
        self._backlog = asyncio.Event()  # set while receives come back full: every poller receives
        # Until SQS has answered one ReceiveMessage the daemon is not ready (/readyz): ask without a long
        # poll the first time, so that an empty queue does not keep it unready for a whole wait.
        self._sqs_answered = False
        self.http_port: int | None = None  # where /metrics, /healthz and /readyz are served, if anywhere

    def stop(self) -> None:
        """Begin a graceful shutdown (safe to call from a signal handler, and more than once)."""
        if not self._stop.is_set():
            log.info("daemon.stopping", in_flight=len(self.in_flight), grace_s=self.config.shutdown_grace)
        self.health.stopping = True
        self._stop.set()

    async def run(self) -> None:
        log.info(
            "daemon.started",
            queue=self.queue.url,
            dead_letter_queue=self.dead_letters.queue.url,
            pollers=self.config.pollers,
            max_in_flight=self.config.max_in_flight,
            visibility_timeout_s=self.config.visibility_timeout,
        )
        background = [
            asyncio.create_task(self.deleter.run(), name="deleter"),
            asyncio.create_task(self.heartbeat.run(), name="heartbeat"),
            asyncio.create_task(self._tick(), name="health-tick"),
            asyncio.create_task(self._check_database(), name="database-check"),
        ]
        pollers = [asyncio.create_task(self._poll(i), name=f"poller-{i}") for i in range(self.config.pollers)]
        try:
            await self._stop.wait()
        finally:
            await self._shutdown(pollers, background)

    async def _shutdown(
        self, pollers: list[asyncio.Task[None]], background: list[asyncio.Task[None]]
    ) -> None:
        self.health.stopping = True
        await self.shutdown.run(pollers, set(self._tasks), receiving=set(self._receiving))
        await self.gate.close()
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        log.info("daemon.stopped")

    async def _poll(self, index: int) -> None:
        while not self._stop.is_set():
            await self.gate.wait_open()
            if index > 0:
                await self._backlog.wait()
            wanted = await self.capacity.take(MAX_BATCH, gather=GATHER_SECONDS)
            if self._stop.is_set() or not self.gate.is_open:
                await self.capacity.give_back(wanted)
                continue
            # From here until the messages are handed on or released, a shutdown waits instead of cancelling:
            # SQS answers a receive cancelled mid-poll anyway, and its messages would stay invisible.
            task = asyncio.current_task()
            assert task is not None
            self._receiving.add(task)
            try:
                messages = await self._receive(index, wanted)
                if messages:
                    await self._hand_on(messages)
            finally:
                self._receiving.discard(task)
            if len(messages) >= wanted:
                self._backlog.set()
                continue
            # Thin: no backlog. The other pollers stop after their receive; this first one goes on, after
            # a pause in which messages gather (a long poll on an empty queue has waited already).
            self._backlog.clear()
            if index == 0 and messages:
                await asyncio.sleep(GATHER_SECONDS)

    async def _receive(self, index: int, wanted: int) -> list[SqsMessage]:
        try:
            messages = await self.queue.receive(
                wanted,
                self.config.receive_wait_seconds if self._sqs_answered else 0,
                self.config.visibility_timeout,
                system_attributes=DAEMON_SYSTEM_ATTRIBUTES,
            )
        except Exception as exc:
            await self.capacity.give_back(wanted)
            self.metrics.sqs_errors.labels("ReceiveMessage").inc()
            log.warning("sqs.receive_failed", poller=index, error=f"{type(exc).__name__}: {exc}")
            self.gate.trip(Dependency.SQS, f"{type(exc).__name__}: {exc}".splitlines()[0])
            return []
        self.metrics.receive_calls.inc()
        self._sqs_answered = True
        self.health.receive_ok()
        self.gate.receive_succeeded()
        await self.capacity.give_back(wanted - len(messages))
        return messages

    async def _hand_on(self, messages: list[SqsMessage]) -> None:
        """Start working on a received batch; or, when stopping or the database is down, release it."""
        self.metrics.received.inc(len(messages))
        if self._stop.is_set():
            # The answer to a long poll that was under way when stop() was called.
            released = await release(self.queue, messages)
            self.metrics.released.inc(released)
            await self.capacity.give_back(len(messages))
            log.info("daemon.released", messages=len(messages), received_after_stop=True)
            return
        if self.gate.is_down(Dependency.DATABASE):
            await self._release_for_outage(messages)
            await self.capacity.give_back(len(messages))
            return
        for message in messages:
            self.in_flight.add(message, self.config.visibility_timeout)
        self.metrics.in_flight.inc(len(messages))
        work = asyncio.create_task(self._work_batch(messages))
        self._tasks.add(work)
        work.add_done_callback(self._tasks.discard)

    async def _work_batch(self, messages: list[SqsMessage]) -> None:
        """Parse the batch, look its notifications up in the ledger in one query, then settle each."""
        parsed = [self.processor.parse(message) for message in messages]
        ready = [p for p in parsed if isinstance(p, Parsed)]
        settled = await self.processor.settled_among(ready) if ready else set()
        await asyncio.gather(
            *(
                self._work(message, outcome, settled)
                for message, outcome in zip(messages, parsed, strict=True)
            )
        )

    async def _work(self, message: SqsMessage, parsed: Parsed | Outcome, settled: set[str]) -> None:
        try:
            identity = parsed.identity
            fields = identity.log_fields() if identity is not None else {}
            with structlog.contextvars.bound_contextvars(
                message_id=message.message_id, receive_count=message.receive_count, **fields
            ):
                if isinstance(parsed, Parsed) and self.gate.is_down(Dependency.DATABASE):
                    # Its effects could not be committed: spend no SP-API call on it now.
                    await self._release_for_outage([message])
                    return
                if isinstance(parsed, Parsed):
                    outcome = await self.processor.settle(
                        parsed, already_settled=parsed.identity.notification_id in settled
                    )
                else:
                    outcome = parsed
                await self._act(message, outcome)
        finally:
            self.in_flight.remove(message)
            self.metrics.in_flight.dec()
            await self.capacity.give_back(1)

    async def _act(self, message: SqsMessage, outcome: Outcome) -> None:
        if isinstance(outcome, Settled):
            self.in_flight.mark_acted(message)
            self.deleter.delete(message)
            kind = outcome.identity.notification_type
            counter = {
                "processed": self.metrics.processed,
                "ignored": self.metrics.ignored,
                "duplicate": self.metrics.duplicates,
            }[outcome.status]
            counter.labels(kind).inc()
            log.info("notification.settled", status=outcome.status, summary=outcome.summary)
        elif isinstance(outcome, DeadLetter):
            await self._dead_letter(message, outcome)
        elif outcome.reason in OUTAGE_SUSPECTS and await self.gate.confirm(Dependency.DATABASE):
            await self._release_for_outage([message])
        else:
            await self._back_off(message, outcome)

    async def _dead_letter(self, message: SqsMessage, outcome: DeadLetter) -> None:
        try:
            dlq_message_id = await self.dead_letters.send(
                message, outcome.reason, outcome.error, datetime.now(UTC)
            )
        except Exception as exc:
            # Deleting without a copy in the DLQ would lose the message: leave it for a later attempt.
            self.metrics.sqs_errors.labels("SendMessage").inc()
            await self._back_off(
                message, Retry(outcome.reason, f"could not dead-letter: {exc}", outcome.identity)
            )
            return
        self.in_flight.mark_acted(message)
        await self.processor.record_dead_letter(message, outcome)
        self.deleter.delete(message)
        self.metrics.dead_lettered.labels(outcome.reason.value).inc()
        log.warning(
            "message.dead_lettered",
            reason=outcome.reason.value,
            error=outcome.error,
            dead_letter_message_id=dlq_message_id,
        )

    async def _back_off(self, message: SqsMessage, outcome: Retry) -> None:
        self.in_flight.mark_acted(message)
        self.metrics.failed.labels(outcome.reason.value).inc()
        await self.processor.record_failure(message, outcome)
        seconds = retry_visibility(
            message.receive_count, self.config.retry_backoff_base, self.config.retry_backoff_max
        )
        try:
            await self.queue.change_visibility(message.receipt_handle, seconds)
        except Exception as exc:
            self.metrics.sqs_errors.labels("ChangeMessageVisibility").inc()
            log.warning("sqs.backoff_failed", error=f"{type(exc).__name__}: {exc}")
        log.warning("message.retry", reason=outcome.reason.value, error=outcome.error, visible_in_s=seconds)

    async def _release_for_outage(self, messages: list[SqsMessage]) -> None:
        """Back to the queue for a short while, not counted as a failure: the database is down, not they."""
        for message in messages:
            self.in_flight.mark_acted(message)
        seconds = max(1, round(self.config.retry_backoff_base))
        await release(self.queue, messages, seconds)
        self.metrics.outage_releases.labels(Dependency.DATABASE.value).inc(len(messages))
        log.info("message.released_for_outage", messages=len(messages), visible_in_s=seconds)

    async def _tick(self) -> None:
        while True:
            self.health.loop_tick()
            await asyncio.sleep(1.0)

    async def _check_database(self) -> None:
        """Notice an outage while idle too; during one, the gate's own probes take over."""
        while True:
            if not self.gate.is_down(Dependency.DATABASE):
                try:
                    async with asyncio.timeout(PROBE_TIMEOUT):
                        await ping(self.processor.engine)
                    self.health.database_ok()
                except Exception as exc:
                    error = "no answer" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
                    self.gate.trip(Dependency.DATABASE, error.splitlines()[0])
            await asyncio.sleep(DATABASE_CHECK_INTERVAL)
