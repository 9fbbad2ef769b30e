"""Which handler a notification type and payload version resolve to."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.contract import Effect
from handlers.registry import ANY_VERSION, IgnoreHandler, Registry
from spapi.notifications import Notification


class _Recorder:
    def __init__(self, name: str) -> None:
        self.name = name

    async def prepare(self, notification: Notification[Any]) -> Effect:
        return Effect(summary=self.name)


def test_registry_resolves_exact_version_then_any_version_then_the_default() -> None:
    registry = Registry()
    exact, anyver = _Recorder("exact"), _Recorder("any")
    registry.register("ORDER_CHANGE", "1.0", exact)
    registry.register("ORDER_CHANGE", ANY_VERSION, anyver)
    assert registry.resolve("ORDER_CHANGE", "1.0") is exact
    assert registry.resolve("ORDER_CHANGE", "2.0") is anyver
    assert isinstance(registry.resolve("FEE_PROMOTION", "1.0"), IgnoreHandler)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("ORDER_CHANGE", "1.0", exact)
