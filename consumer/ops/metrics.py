"""The daemon's Prometheus metrics, on a registry of its own (tests run several daemons in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from handlers.errors import Reason

PREFIX = "spapi_notify"
# Handler latency: from milliseconds (a duplicate) to minutes (a large report download).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
# Age of a notification when we process it: seconds normally, hours when a backlog or outage built up.
AGE_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400)
# Waiting for a rate-limit slot: none at all normally, up to SPAPI_NOTIFY_RATE_LIMIT_MAX_WAIT under a backlog.
WAIT_BUCKETS = (0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    """The daemon's counters, gauges and histograms, on ``registry`` (a new one by default)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.received = Counter(f"{PREFIX}_messages_received", "SQS messages received", registry=r)
        self.receive_calls = Counter(
            f"{PREFIX}_receive_calls", "ReceiveMessage calls (each is billed, empty or not)", registry=r
        )
        self.processed = Counter(
            f"{PREFIX}_notifications_processed",
            "Notifications whose effects were committed",
            ["type"],
            registry=r,
        )
        self.ignored = Counter(
            f"{PREFIX}_notifications_ignored", "Notifications recorded without effects", ["type"], registry=r
        )
        self.duplicates = Counter(
            f"{PREFIX}_duplicates",
            "Deliveries of notifications already settled (acknowledged, no effects)",
            ["type"],
            registry=r,
        )
        self.dead_lettered = Counter(
            f"{PREFIX}_dead_lettered", "Messages sent to the dead-letter queue", ["reason"], registry=r
        )
        self.failed = Counter(
            f"{PREFIX}_failures",
            "Transient failures (message left in the queue, retried later)",
            ["reason"],
            registry=r,
        )
        self.handler_latency = Histogram(
            f"{PREFIX}_handler_duration_seconds",
            "Time from receipt to commit of one notification",
            ["type"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.message_age = Histogram(
            f"{PREFIX}_message_age_seconds",
            "now - publishTime when a notification is processed",
            buckets=AGE_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(f"{PREFIX}_in_flight", "Messages received and not yet finished", registry=r)
        self.sqs_errors = Counter(f"{PREFIX}_sqs_errors", "SQS calls that failed", ["operation"], registry=r)
        self.visibility_extensions = Counter(
            f"{PREFIX}_visibility_extensions", "Visibility timeouts extended for long handlers", registry=r
        )
        self.released = Counter(
            f"{PREFIX}_released_on_shutdown", "Messages made visible again at shutdown", registry=r
        )
        # --- reconciliation ---
        self.orders_missed = Counter(
            f"{PREFIX}_reconcile_orders_missed",
            "Orders a sweep wrote because no notification had brought their version",
            ["seller"],
            registry=r,
        )
        self.reconcile_lag = Gauge(
            f"{PREFIX}_reconcile_lag_seconds",
            "now - the seller's high-water mark (changes older than this are reconciled)",
            ["seller"],
            registry=r,
        )
        self.sweep_failures = Counter(
            f"{PREFIX}_reconcile_sweep_failures", "Sweeps that ended with an error", ["seller"], registry=r
        )
        self.subscription_silent = Counter(
            f"{PREFIX}_subscription_silent",
            "Sweeps that found missed orders while no notification of the type arrived for the seller",
            ["seller", "type"],
            registry=r,
        )
        # --- outages (consumer.daemon.outage) ---
        self.receiving_paused = Gauge(
            f"{PREFIX}_receiving_paused",
            "1 while receiving is paused because this dependency cannot be reached",
            ["dependency"],
            registry=r,
        )
        self.outages = Counter(
            f"{PREFIX}_outages",
            "Pauses begun because a dependency could not be reached",
            ["dependency"],
            registry=r,
        )
        self.outage_releases = Counter(
            f"{PREFIX}_outage_releases",
            "Messages released with a short visibility during an outage (not counted as failures)",
            ["dependency"],
            registry=r,
        )
        for dependency in ("database", "sqs"):  # consumer.daemon.outage.Dependency, exported from the start
            self.receiving_paused.labels(dependency).set(0)
            self.outages.labels(dependency)
            self.outage_releases.labels(dependency)
        # --- the change feed (consumer.changes) ---
        self.changes_pruned = Counter(
            f"{PREFIX}_changes_pruned",
            "Changes deleted from the change feed after SPAPI_NOTIFY_CHANGES_RETENTION_DAYS",
            registry=r,
        )
        # --- operators: SP-API calls, queue depths, rate budget, readiness (alerts, dashboard, /status) ---
        self.spapi_calls = Counter(
            f"{PREFIX}_spapi_calls",
            "SP-API call attempts by operation and HTTP status (error: no answer); retries count again",
            ["operation", "status"],
            registry=r,
        )
        self.spapi_wait = Histogram(
            f"{PREFIX}_spapi_wait_seconds",
            "Time an SP-API call attempt waited for its slot of the shared rate budget",
            ["operation"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.spapi_duration = Histogram(
            f"{PREFIX}_spapi_call_duration_seconds",
            "Time from sending an SP-API request to its answer",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_messages = Gauge(
            f"{PREFIX}_queue_messages",
            "SQS's approximate message counts of the source and the dead-letter queue",
            ["queue", "state"],
            registry=r,
        )
        self.budget_wait = Gauge(
            f"{PREFIX}_rate_budget_wait_seconds",
            "Seconds a call of this seller and operation asking now would wait for its slot",
            ["seller", "operation"],
            registry=r,
        )
        self.budget_used = Gauge(
            f"{PREFIX}_rate_budget_used_ratio",
            "Share of the key's burst spent (0: the whole burst is free, 1: calls wait for the rate)",
            ["seller", "operation"],
            registry=r,
        )
        self.ready = Gauge(
            f"{PREFIX}_ready",
            "1 while /readyz answers 200 (SQS and the database reachable, not stopping)",
            registry=r,
        )
        # --- performance: SQS calls per message (bench.consumer) ---
        self.sqs_calls = Counter(
            f"{PREFIX}_sqs_calls",
            "SQS calls the daemon made to its queues, by operation (each is billed)",
            ["operation"],
            registry=r,
        )
        # Every reason is exported from the start, at 0: a process's first dead letter or failure of a reason
        # is then an increase that alerts see, not the birth of a series that increase() cannot see.
        for reason in Reason:
            self.dead_lettered.labels(reason.value)
            self.failed.labels(reason.value)
