"""The handler contract: a handler turns a notification into an Effect that commits with its ledger row.

A handler does its slow work (SP-API calls, downloads) in ``prepare``, outside any database transaction, and
returns an Effect: the database writes to commit in the same transaction as the notification's ledger row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Column
from sqlalchemy.ext.asyncio import AsyncConnection

from spapi.notifications import Notification
from store.tables import LedgerStatus

Apply = Callable[[AsyncConnection], Awaitable[None]]


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
    """Prepares the effect of one notification type (see the module docstring)."""

    async def prepare(self, notification: Notification[Any]) -> Effect:
        """Fetch what the notification needs; PermanentError when it can never succeed."""
        ...


@dataclass(frozen=True)
class StoredField:
    """A value of a notification that the handler writes to a column, named by its path in the notification
    (``Payload.OrderChangeNotification.AmazonOrderId``); checked against the column before ``prepare``."""

    path: str
    value: object
    column: Column[Any]


def stored_fields(handler: Handler, notification: Notification[Any]) -> list[StoredField]:
    """The notification's values the handler writes to its tables, from its optional ``stored_fields``
    method; the consumer checks each against its column (store.limits) before any SP-API call is made."""
    declare = getattr(handler, "stored_fields", None)
    return list(declare(notification)) if declare is not None else []


def needs_duplicate_lookup(handler: Handler) -> bool:
    """Whether a delivery should be looked up in the ledger before ``prepare`` runs.

    The lookup saves a duplicate delivery its handler's work (SP-API calls, downloads). A handler whose
    ``prepare`` does no I/O sets ``offline = True``: its duplicates cost nothing to prepare, and the ledger
    claim catches them when the effect is committed.
    """
    return not getattr(handler, "offline", False)
