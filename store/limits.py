"""What a column can hold, read from the table definitions, and PostgreSQL's rules for text.

The one place that says whether a value fits: a ``String(n)`` column holds at most n characters, an
``Integer`` a 32-bit number; no text (nor any string inside a JSON document stored as jsonb) may contain
U+0000, and text must be valid Unicode (no unpaired surrogate, which JSON's ``\\ud800`` escapes can produce).
SQLite is more lenient, but the rules apply to both backends so that a notification is treated the same on
either. Problems are described without the value: it may be buyer data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, SmallInteger, String

# Widest first: BigInteger and SmallInteger are Integers too.
_INTEGER_BITS = ((BigInteger, 64), (SmallInteger, 16), (Integer, 32))


def max_length(column: Column[Any]) -> int | None:
    """How many characters the column holds; None when it is not a bounded string column."""
    kind = column.type
    return kind.length if isinstance(kind, String) and kind.length is not None else None


def integer_range(column: Column[Any]) -> tuple[int, int] | None:
    """The smallest and largest integer the column holds; None when it is not an integer column."""
    for kind, bits in _INTEGER_BITS:
        if isinstance(column.type, kind):
            return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return None


def column_name(column: Column[Any]) -> str:
    """``table.column``, as an operator would look it up."""
    table = getattr(column, "table", None)
    return f"{table.name}.{column.name}" if table is not None else column.name


def text_problem(value: str) -> str | None:
    """Why PostgreSQL cannot store this text, or None when it can."""
    if "\x00" in value:
        return "contains a NUL character (U+0000), which PostgreSQL cannot store"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (an unpaired surrogate)"
    return None


def value_problem(value: object, column: Column[Any]) -> str | None:
    """Why ``value`` does not fit ``column`` (too long, out of range, or text PostgreSQL refuses); None if it
    fits. Values of other types are the column type's business and pass."""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem is not None:
            return problem
        limit = max_length(column)
        if limit is not None and len(value) > limit:
            return f"is {len(value)} characters long, more than the {limit} of {column_name(column)}"
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        bounds = integer_range(column)
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            return f"is out of the range of {column_name(column)} ({bounds[0]} to {bounds[1]})"
    return None


def json_problems(document: object, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, problem) for every key or string PostgreSQL's text rules refuse, and every number JSON cannot
    hold (NaN, Infinity: Python's json accepts them, PostgreSQL's jsonb does not), anywhere in a document."""
    if not path and _surely_fine(document):
        return
    yield from _walk(document, path)


def _surely_fine(document: object) -> bool:
    """One pass of the C encoder instead of a walk in Python (every notification is checked): no NaN or
    Infinity (refused by ``allow_nan``), no U+0000 (always written as that escape; a literal backslash before
    "u0000" only sends the document to the exact walk), every string encodable as UTF-8."""
    try:
        text = json.dumps(document, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return False
    if "\\u0000" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _walk(document: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(document, Mapping):
        for key, value in document.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (problem := text_problem(key)) is not None:
                yield f"{path or 'a key'} (a key)", problem
                continue
            yield from _walk(value, where)
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _walk(value, f"{path}[{index}]")
    elif isinstance(document, str):
        if (problem := text_problem(document)) is not None:
            yield path or "the document", problem
    elif isinstance(document, float) and not math.isfinite(document):
        yield path or "the document", "is not a finite number (NaN or Infinity)"
