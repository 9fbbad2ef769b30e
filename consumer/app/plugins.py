"""Handlers from outside the package: SPAPI_NOTIFY_PLUGINS names modules with a ``register`` function.

# my_company/notify_handlers.py
def register(registry: Registry, context: HandlerContext) -> None:
    registry.register("FEE_PROMOTION", "1.0", FeePromotionHandler(context))
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Protocol, cast

from handlers.context import HandlerContext
from handlers.registry import Registry


class PluginError(RuntimeError):
    """A plugin module could not be imported or has no usable register function."""


class _Plugin(Protocol):
    def register(self, registry: Registry, context: HandlerContext) -> None: ...


def load_plugins(names: Iterable[str], registry: Registry, context: HandlerContext) -> list[str]:
    """Import each named module and let it register its handlers; returns the modules loaded."""
    loaded = []
    for name in (n.strip() for n in names):
        if not name:
            continue
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise PluginError(f"plugin {name!r} (SPAPI_NOTIFY_PLUGINS) cannot be imported: {exc}") from exc
        if not callable(getattr(module, "register", None)):
            raise PluginError(f"plugin {name!r} has no register(registry, context) function")
        cast("_Plugin", module).register(registry, context)
        loaded.append(name)
    return loaded
