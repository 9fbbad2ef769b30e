"""Every type without a dedicated handler: its payload validated and kept in ``notification_events``.

The registry's default handler. A notification of a type (or payload version) nobody registered is checked
against the JSON Schema Amazon publishes for it (spapi.notifications.schemas; a payload that breaks it is
dead-lettered as ``schema_violation`` with the field named), then written, with its ledger row, to
``notification_events``: type, payload version, selling partner, marketplace (when the payload names one),
EventTime and the payload as JSON. Types the operator turned off (``EventTypes``) are recorded as ``ignored``,
as before there was this table. No SP-API call is made, so duplicates are left to the ledger claim.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.contract import Effect
from handlers.errors import PermanentError, Reason
from spapi.notifications import Notification, TypedPayload
from spapi.notifications.marketplace import find_marketplace_id
from spapi.notifications.messages import describe_notification
from spapi.notifications.schemas import (
    SCHEMA_FILES,
    InvalidPayload,
    PayloadValidator,
    payload_validator,
    validate_payload,
)
from store.outputs.events import insert_event
from store.tables import NOTIFICATION_EVENTS

_MARKETPLACE_LENGTH = NOTIFICATION_EVENTS.c.marketplace_id.type.length  # type: ignore[attr-defined]


@dataclass(frozen=True)
class EventTypes:
    """Which types without a dedicated handler are kept: all or ``only`` those, never those in ``not_``."""

    only: frozenset[str] | None = None  # None: every type
    not_: frozenset[str] = frozenset()

    @classmethod
    def of(cls, only: Iterable[str] | None = None, not_: Iterable[str] = ()) -> EventTypes:
        return cls(None if only is None else frozenset(only), frozenset(not_))

    def keeps(self, notification_type: str) -> bool:
        """Whether notifications of this type are kept."""
        if notification_type in self.not_:
            return False
        return self.only is None or notification_type in self.only


@dataclass
class NotificationEventsHandler:
    """The default handler: validate against the published schema, keep in ``notification_events``."""

    types: EventTypes = field(default_factory=EventTypes)
    offline = True
    _validators: dict[tuple[str, str], PayloadValidator | None] = field(default_factory=dict, repr=False)

    async def prepare(self, notification: Notification[Any]) -> Effect:
        kind, version = notification.notification_type, notification.payload_version
        if not self.types.keeps(kind):
            return Effect.ignored(f"{kind} is not kept (SPAPI_NOTIFY_EVENT_TYPES)")
        payload: object = notification.payload
        described = describe_notification(kind, version, notification.notification_id)
        if isinstance(payload, TypedPayload):
            # A typed model validated it already (its handler is not registered, e.g. by a plugin's choice).
            document: Any = payload.model_dump(mode="json", by_alias=True)
        else:
            document = payload
            validator = await self._validator(kind, version)
            if validator is not None:
                try:
                    validate_payload(validator, document, _payload_key(notification))
                except InvalidPayload as exc:
                    raise PermanentError(Reason.SCHEMA_VIOLATION, f"{described}: {exc}") from None
        _check_storable(document, described)
        marketplace = find_marketplace_id(document) if isinstance(document, dict) else None
        row = {
            "notification_id": notification.notification_id,
            "notification_type": kind,
            "payload_version": version,
            "selling_partner_id": notification.selling_partner_id,
            # A value too long for the column is still in the payload; the column is only an index.
            "marketplace_id": marketplace if len(marketplace or "") <= _MARKETPLACE_LENGTH else None,
            "event_time": notification.event_time,
            "payload": document,
            "stored_at": datetime.now(UTC),
        }
        return Effect(apply=EventWrite(row).apply, summary=f"{kind} {version} kept")

    async def _validator(self, kind: str, version: str) -> PayloadValidator | None:
        key = (kind, version)
        if key not in SCHEMA_FILES:
            return None  # nothing remembered for types without a schema: any number of them may arrive
        if key not in self._validators:
            # Compiling a schema takes up to a tenth of a second: not on the event loop.
            self._validators[key] = await asyncio.to_thread(payload_validator, kind, version)
        return self._validators[key]


def _payload_key(notification: Notification[Any]) -> str:
    return "Payload" if notification.key_case == "pascal" else "payload"


def _check_storable(document: Any, described: str) -> None:
    """PostgreSQL's jsonb refuses NUL characters and unpaired surrogates: such payloads are never storable."""
    text = "\x01".join(_strings(document))
    if "\x00" in text:
        raise PermanentError(
            Reason.SCHEMA_VIOLATION, f"{described}: the payload holds a NUL character (U+0000)"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise PermanentError(
            Reason.SCHEMA_VIOLATION, f"{described}: the payload holds an unpaired UTF-16 surrogate"
        ) from None


def _strings(value: Any) -> Iterator[str]:
    """Every string in a decoded JSON value, object keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@dataclass(frozen=True)
class EventWrite:
    """The notification's ``notification_events`` row."""

    row: dict[str, Any]

    async def apply(self, connection: AsyncConnection) -> None:
        await insert_event(connection, self.row)
