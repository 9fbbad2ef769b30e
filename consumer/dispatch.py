"""Which handler a notification goes to: a registry keyed by (notificationType, payloadVersion).

A handler does its slow work (SP-API calls, downloads) in ``prepare``, outside any database transaction, and
returns an Effect: the database writes to commit in the same transaction as the notification's ledger row.
Types nobody registered get the default handler, which records them as ignored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from consumer.notifications import Notification
from store.tables import LedgerStatus

Apply = Callable[[AsyncConnection], Awaitable[None]]
ANY_VERSION = "*"


@dataclass(frozen=True)
class Effect:
    """What a handler wants committed with the ledger row (``apply`` None: nothing but the row)."""

    status: LedgerStatus = LedgerStatus.PROCESSED
    apply: Apply | None = None
    summary: str | None = None  # for the log line; no buyer data

    @classmethod
    def ignored(cls, why: str) -> Effect:
        return cls(status=LedgerStatus.IGNORED, summary=why)


class Handler(Protocol):
    async def prepare(self, notification: Notification[Any]) -> Effect:
        """Fetch what the notification needs; PermanentError when it can never succeed."""
        ...


def needs_duplicate_lookup(handler: Handler) -> bool:
    """Whether a delivery should be looked up in the ledger before ``prepare`` runs.

    The lookup saves a duplicate delivery its handler's work (SP-API calls, downloads). A handler whose
    ``prepare`` does no I/O sets ``offline = True``: its duplicates cost nothing to prepare, and the ledger
    claim catches them when the effect is committed.
    """
    return not getattr(handler, "offline", False)


class IgnoreHandler:
    """The default for unknown types: acknowledged and recorded as ignored, never failed."""

    offline = True

    async def prepare(self, notification: Notification[Any]) -> Effect:
        return Effect.ignored(
            f"no handler for {notification.notification_type} {notification.payload_version}"
        )


class Registry:
    def __init__(self, default: Handler | None = None) -> None:
        self._handlers: dict[tuple[str, str], Handler] = {}
        self.default: Handler = default or IgnoreHandler()

    def register(self, notification_type: str, payload_version: str, handler: Handler) -> None:
        """Route a type at one payload version (or every version, with ANY_VERSION) to ``handler``."""
        key = (notification_type, payload_version)
        if key in self._handlers:
            raise ValueError(f"a handler for {notification_type} {payload_version} is already registered")
        self._handlers[key] = handler

    def resolve(self, notification_type: str, payload_version: str) -> Handler:
        return (
            self._handlers.get((notification_type, payload_version))
            or self._handlers.get((notification_type, ANY_VERSION))
            or self.default
        )

    def registered(self) -> list[tuple[str, str]]:
        return sorted(self._handlers)
