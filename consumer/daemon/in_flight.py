"""The messages being worked on, with when each becomes visible again and whether its outcome reached SQS."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from consumer.intake.message import SqsMessage


@dataclass
class Tracked:
    """One message being worked on."""

    message: SqsMessage
    visible_until: float
    acted: bool = False  # its outcome reached SQS (delete queued, dead-lettered or backed off)


class InFlight:
    """Every message received and not yet finished, by message id."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tracked: dict[str, Tracked] = {}

    def __len__(self) -> int:
        return len(self._tracked)

    def add(self, message: SqsMessage, visibility: float) -> None:
        self._tracked[message.message_id] = Tracked(message, self._clock() + visibility)

    def mark_acted(self, message: SqsMessage) -> None:
        tracked = self._tracked.get(message.message_id)
        if tracked is not None:
            tracked.acted = True

    def remove(self, message: SqsMessage) -> None:
        self._tracked.pop(message.message_id, None)

    def unacted(self) -> list[SqsMessage]:
        return [t.message for t in self._tracked.values() if not t.acted]

    def extended(self, tracked: Tracked, seconds: float) -> None:
        tracked.visible_until = self._clock() + seconds

    def due(self, within: float) -> list[Tracked]:
        """Messages whose visibility ends within ``within`` seconds and that are still being worked on."""
        limit = self._clock() + within
        return [t for t in self._tracked.values() if not t.acted and t.visible_until <= limit]
