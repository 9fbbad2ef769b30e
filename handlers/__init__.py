"""handlers: one module per notification type; ``register`` routes each type to its handler."""

from __future__ import annotations

from consumer.dispatch import Registry
from consumer.services import Services


def register(registry: Registry, services: Services) -> None:
    """Register every built-in handler (none yet: every type is recorded as ignored)."""
