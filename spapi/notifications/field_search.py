"""Finding a field in a payload that has no typed model: breadth-first through its objects, never arrays."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def first_text(payload: Mapping[str, Any], keys: Sequence[str], max_depth: int) -> str | None:
    """The first non-empty string under one of ``keys``, searched level by level (``max_depth`` levels).

    Keys earlier in ``keys`` win within a level; a shallower level wins over a deeper one. Arrays are not
    searched: in Amazon's payloads they list other parties or several of a thing, not the one the
    notification is about.
    """
    level: list[Mapping[str, Any]] = [payload]
    for _ in range(max_depth):
        for obj in level:
            for key in keys:
                value = obj.get(key)
                if isinstance(value, str) and value:
                    return value
        level = [value for obj in level for value in obj.values() if isinstance(value, Mapping)]
        if not level:
            break
    return None
