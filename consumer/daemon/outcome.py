"""What processing one message came to, and so what the daemon does with it in SQS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from consumer.daemon.identity import Identity
from handlers.errors import Reason


@dataclass(frozen=True)
class Settled:
    """Effects committed (or none were due): delete the message."""

    status: Literal["processed", "ignored", "duplicate"]
    identity: Identity
    summary: str | None = None


@dataclass(frozen=True)
class DeadLetter:
    """Can never succeed: send to the DLQ with the reason, then delete."""

    reason: Reason
    error: str
    identity: Identity | None = None


@dataclass(frozen=True)
class Retry:
    """May succeed later: leave it in the queue, invisible for a backoff."""

    reason: Reason
    error: str
    identity: Identity | None = None


Outcome = Settled | DeadLetter | Retry
