"""Scripted misbehaviour: injected error statuses, dropped connections and slow responses, per key.

Keys are operation keys for SP-API, ``"lwa"`` for the token endpoint and ``"document:<id>"`` for report
document downloads. Not thread-safe on its own: SandboxState calls it under its lock.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    """An injected answer, given ``remaining`` more times; a ``body`` of None is Amazon's default error."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    remaining: int = 1


@dataclass(frozen=True)
class Break:
    """Cut a document transfer after this many body bytes, once."""

    after_bytes: int


class Faults:
    """The faults, dropped connections, delays and transfer breaks scripted per key."""

    def __init__(self) -> None:
        self._faults: dict[str, deque[Fault]] = {}
        self._drops: Counter[str] = Counter()
        self._delays: dict[str, float] = {}
        self._breaks: dict[str, deque[Break]] = {}

    def inject(self, key: str, fault: Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("times must be >= 1")
        # Queued, so inject(503, 2) then inject(429, 1) plays 503, 503, 429.
        self._faults.setdefault(key, deque()).append(fault)

    def take_fault(self, key: str) -> Fault | None:
        queue = self._faults.get(key)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        return fault

    def drop(self, key: str, times: int) -> None:
        if times < 1:
            raise ValueError("times must be >= 1")
        self._drops[key] += times

    def take_drop(self, key: str) -> bool:
        if self._drops[key] <= 0:
            return False
        self._drops[key] -= 1
        return True

    def set_delay(self, key: str, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("delay must be >= 0")
        if seconds:
            self._delays[key] = seconds
        else:
            self._delays.pop(key, None)

    def delay(self, key: str) -> float:
        return self._delays.get(key, 0.0)

    def add_break(self, key: str, after_bytes: int, times: int) -> None:
        if after_bytes < 0 or times < 1:
            raise ValueError("after_bytes must be >= 0 and times >= 1")
        self._breaks.setdefault(key, deque()).extend(Break(after_bytes) for _ in range(times))

    def take_break(self, key: str) -> Break | None:
        queue = self._breaks.get(key)
        return queue.popleft() if queue else None

    def clear(self) -> None:
        self._faults.clear()
        self._drops.clear()
        self._delays.clear()
        self._breaks.clear()
