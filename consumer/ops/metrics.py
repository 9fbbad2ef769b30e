"""The daemon's Prometheus metrics, on a registry of its own (tests run several daemons in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

PREFIX = "spapi_notify"
# Handler latency: from milliseconds (a duplicate) to minutes (a large report download).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
# Age of a notification when we process it: seconds normally, hours when a backlog or outage built up.
AGE_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400)


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
