"""Which handler a notification goes to: a registry keyed by (notificationType, payloadVersion).

Types nobody registered get the default handler, which records them as ignored.
"""

from __future__ import annotations

from typing import Any

from handlers.contract import Effect, Handler
from spapi.notifications import Notification

ANY_VERSION = "*"


class IgnoreHandler:
    """The default for unknown types: acknowledged and recorded as ignored, never failed."""

    offline = True

    async def prepare(self, notification: Notification[Any]) -> Effect:
        return Effect.ignored(
            f"no handler for {notification.notification_type} {notification.payload_version}"
        )


class Registry:
    """Handlers by (notification type, payload version), with a default for everything else."""

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
