"""The SP-API client's calls as metrics: attempts by operation and status, waits for the rate budget, and
answer times (spapi.observer.CallObserver, handed to the daemon's client by consumer.app)."""

from __future__ import annotations

from consumer.ops.metrics import Metrics

NO_ANSWER = "error"


class SpApiMetrics:
    """Counts every SP-API call attempt on ``metrics`` (spapi_notify_spapi_*)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def waited(self, operation: str, seconds: float) -> None:
        """An attempt got its rate-limit slot after ``seconds``."""
        self._metrics.spapi_wait.labels(operation).observe(seconds)

    def answered(self, operation: str, status: int | None, seconds: float) -> None:
        """An attempt was answered (``status`` None: a transport error) after ``seconds``."""
        self._metrics.spapi_calls.labels(operation, NO_ANSWER if status is None else str(status)).inc()
        self._metrics.spapi_duration.labels(operation).observe(seconds)
