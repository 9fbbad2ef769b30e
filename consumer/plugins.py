"""Handlers from outside the package: SPAPI_NOTIFY_PLUGINS names modules with a ``register`` function.

# my_company/notify_handlers.py
def register(registry: Registry, services: Services) -> None:
    registry.register("FEE_PROMOTION", "1.0", FeePromotionHandler(services))
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Protocol, cast

from consumer.dispatch import Registry
from consumer.services import Services


class PluginError(RuntimeError):
    """A plugin module could not be imported or has no usable register function."""


class _Plugin(Protocol):
    def register(self, registry: Registry, services: Services) -> None: ...


def load_plugins(names: Iterable[str], registry: Registry, services: Services) -> list[str]:
    loaded = []
    for name in (n.strip() for n in names):
        if not name:
            continue
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise PluginError(f"plugin {name!r} (SPAPI_NOTIFY_PLUGINS) cannot be imported: {exc}") from exc
        if not callable(getattr(module, "register", None)):
            raise PluginError(f"plugin {name!r} has no register(registry, services) function")
        cast("_Plugin", module).register(registry, services)
        loaded.append(name)
    return loaded
