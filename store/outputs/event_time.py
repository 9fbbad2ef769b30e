"""The newest EventTime applied to a row, as the ordering guards compare it: never later than the row's write.

A notification's EventTime is Amazon's word, and one far in the future (a bug, a forged message) would
outrank every real notification that follows, freezing the row. The consumer refuses such notifications
(SPAPI_NOTIFY_FUTURE_TOLERANCE), and the guards cap what is stored at the time it was written
(``updated_at``): so a row written before that check, with an EventTime in 2999, still takes the next real
notification, and no stored value can block newer ones for longer than the tolerance.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case
from sqlalchemy.sql.elements import ColumnElement


def applied_event_time(columns: Any) -> ColumnElement[Any]:
    """``LEAST(last_event_time, updated_at)`` (NULL when no EventTime was applied) of a table's columns, or of
    an upsert's ``excluded`` row."""
    return case(
        (columns.last_event_time > columns.updated_at, columns.updated_at),
        else_=columns.last_event_time,
    )
