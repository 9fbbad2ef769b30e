"""What the client tells an observer about its calls: how long each waited for its rate-limit slot, and how
each attempt was answered. The application turns these into metrics (consumer.ops.spapi_metrics); the
client itself keeps no counters, so a library user pays nothing for them."""

from __future__ import annotations

from typing import Protocol


class CallObserver(Protocol):
    """Told about every attempt of every call (retries included), from the event loop."""

    def waited(self, operation: str, seconds: float) -> None:
        """An attempt of ``operation`` got its rate-limit slot after ``seconds`` (0 when one was free)."""

    def answered(self, operation: str, status: int | None, seconds: float) -> None:
        """An attempt was answered with HTTP ``status`` (None: a transport error) after ``seconds``."""


class NoObserver:
    """The observer of a client nobody watches."""

    def waited(self, operation: str, seconds: float) -> None:
        """Nothing to do."""

    def answered(self, operation: str, status: int | None, seconds: float) -> None:
        """Nothing to do."""
