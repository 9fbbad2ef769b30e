"""Human-readable, data-free descriptions of what is wrong with a message.

Error messages end up in DLQ message attributes, logs and metrics, where buyer data must not go, so they name
keys, field paths, JSON types and short reasons only, never values from a payload. The exceptions are the
notification type and id, which identify the message and are clipped to a safe length.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic_core import ErrorDetails

MAX_ERRORS = 5
MAX_IDENTIFIER = 80

# Pydantic's wording names Python types ("instance of OrderChangePayload"); these say it in JSON terms.
_JSON_WORDING = {
    "model_type": "Input should be an object",
    "model_attributes_type": "Input should be an object",
    "dict_type": "Input should be an object",
    "list_type": "Input should be an array",
    "string_type": "Input should be a string",
}


_JSON_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    # bool before number: True is an int to isinstance().
    (type(None), "null"),
    (bool, "boolean"),
    ((int, float), "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)


def json_type_name(value: object) -> str:
    """The JSON name of a decoded JSON value's type, for messages like "is a JSON array, not an object"."""
    for python_type, name in _JSON_TYPES:
        if isinstance(value, python_type):
            return name
    return type(value).__name__


def clip(text: str, limit: int = MAX_IDENTIFIER) -> str:
    """``text`` clipped to ``limit`` characters, and escaped when it has characters a log line should not."""
    shown = text if text.isprintable() else ascii(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def describe_notification(notification_type: object, payload_version: object, notification_id: object) -> str:
    """``ORDER_CHANGE 1.0 notification d0e9...``, leaving out whatever is unknown or not a string.

    The payload version only means something next to the type, so it is left out when the type is.
    """
    words: list[str] = []
    if isinstance(notification_type, str) and notification_type:
        words.append(clip(notification_type))
        if isinstance(payload_version, str) and payload_version:
            words.append(clip(payload_version))
    words.append("notification")
    if isinstance(notification_id, str) and notification_id:
        words.append(clip(notification_id))
    return " ".join(words)


def format_errors(
    errors: Sequence[ErrorDetails], path_of: Callable[[tuple[int | str, ...]], str], limit: int = MAX_ERRORS
) -> str:
    """``Payload.Status: Input should be an array; ...``: each error's path and reason, never its input."""
    shown = [f"{path_of(tuple(e['loc']))}: {_JSON_WORDING.get(e['type'], e['msg'])}" for e in errors[:limit]]
    if len(errors) > limit:
        shown.append(f"and {len(errors) - limit} more")
    return "; ".join(shown)
