"""What an SQS message body holds: find the SP-API notification inside its delivery wrappers.

Amazon delivers a notification to SQS in one of these forms. The decoded body (a JSON object, else
``MALFORMED_JSON``) is matched against these rules, in order:

1. **Raw** (an SQS destination): the object has ``NotificationType`` or ``notificationType``. It *is* the
   notification.
2. **EventBridge** (an EventBridge destination, then a rule targeting the queue): the object has
   ``detail-type``, ``source`` and ``detail``. ``source`` must be ``aws.partner/sellingpartnerapi.amazon.com``
   or start with it followed by ``/`` (``.../amzn1.sellerapps.app.xxx``), else ``FOREIGN_EVENT_SOURCE``.
   ``detail`` (an object, or a string holding one) is the notification; when it has no type of its own,
   ``detail-type`` supplies it (a type in the detail itself wins over ``detail-type``).
3. **SNS** (a topic subscribed to the queue without raw message delivery): ``"Type": "Notification"`` with
   ``TopicArn`` and a string ``Message``. ``Message`` is decoded and must be a raw notification or an
   EventBridge event (rules 1 and 2), so there are at most two wrappers.
4. Anything else is ``UNKNOWN_ENVELOPE``.

The notification is returned decoded but not validated; ``consumer.notifications.parse_notification`` does
that. Error messages name keys, JSON types and positions, never content, as bodies may hold buyer data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from handlers.errors import PermanentError, Reason
from spapi.notifications.messages import clip, json_type_name

WrapperKind = Literal["sqs", "eventbridge", "sns"]

SPAPI_EVENT_SOURCE = "aws.partner/sellingpartnerapi.amazon.com"
MAX_KEYS_SHOWN = 10

_TYPE_KEYS = ("NotificationType", "notificationType")
_EVENTBRIDGE_KEYS = ("detail-type", "source", "detail")
# Envelope keys that only the PascalCase form has, to give a detail-type the case of the detail it goes into.
_PASCAL_ENVELOPE_KEYS = (
    "NotificationVersion",
    "PayloadVersion",
    "EventTime",
    "Payload",
    "NotificationMetadata",
)


@dataclass(frozen=True)
class Unwrapped:
    """The SP-API notification found in a message body, and how it was delivered.

    ``kind`` is the outermost wrapper (``"sqs"`` for a raw notification); ``wrappers`` lists every wrapper
    removed, outermost first (``()`` for raw, ``("sns", "eventbridge")`` for an EventBridge event sent on
    through SNS). ``event_source`` and ``event_id`` are the EventBridge ``source`` and ``id`` when there is an
    EventBridge event, else the SNS ``TopicArn`` and ``MessageId``, else None.
    """

    kind: WrapperKind
    notification: dict[str, Any] = field(repr=False)
    event_source: str | None = None
    event_id: str | None = None
    wrappers: tuple[WrapperKind, ...] = ()

    def __post_init__(self) -> None:
        if not self.wrappers and self.kind != "sqs":
            object.__setattr__(self, "wrappers", (self.kind,))
        if self.wrappers and self.wrappers[0] != self.kind:
            raise ValueError(f"kind {self.kind!r} is not the outermost of wrappers {self.wrappers!r}")


def unwrap(body: str) -> Unwrapped:
    """The notification in an SQS message body; ``PermanentError`` when it holds none (see the module doc)."""
    message = _decode_object(body, "message body")
    if _is_raw(message):
        return Unwrapped(kind="sqs", notification=message)
    if _is_eventbridge(message):
        return _from_eventbridge(message, outer=())
    if _is_sns(message):
        return _from_sns(message)
    raise PermanentError(
        Reason.UNKNOWN_ENVELOPE,
        "message body is not an SP-API notification, EventBridge event or SNS notification: "
        f"it is {_describe_keys(message)}",
    )


def _is_raw(obj: dict[str, Any]) -> bool:
    return any(key in obj for key in _TYPE_KEYS)


def _is_eventbridge(obj: dict[str, Any]) -> bool:
    return all(key in obj for key in _EVENTBRIDGE_KEYS)


def _is_sns(obj: dict[str, Any]) -> bool:
    return obj.get("Type") == "Notification" and "TopicArn" in obj and "Message" in obj


def _from_sns(message: dict[str, Any]) -> Unwrapped:
    inner_text = message["Message"]
    if not isinstance(inner_text, str):
        raise PermanentError(
            Reason.UNKNOWN_ENVELOPE,
            f"SNS notification's Message is a JSON {json_type_name(inner_text)}, not a string",
        )
    inner = _decode_object(inner_text, "SNS Message")
    topic_arn = _str_or_none(message.get("TopicArn"))
    message_id = _str_or_none(message.get("MessageId"))
    if _is_raw(inner):
        return Unwrapped(
            kind="sns", notification=inner, event_source=topic_arn, event_id=message_id, wrappers=("sns",)
        )
    if _is_eventbridge(inner):
        return _from_eventbridge(inner, outer=("sns",))
    raise PermanentError(
        Reason.UNKNOWN_ENVELOPE,
        "SNS Message is neither an SP-API notification nor an EventBridge event: "
        f"it is {_describe_keys(inner)}",
    )


def _from_eventbridge(event: dict[str, Any], outer: tuple[WrapperKind, ...]) -> Unwrapped:
    source = event["source"]
    if not isinstance(source, str):
        raise PermanentError(
            Reason.FOREIGN_EVENT_SOURCE,
            f"EventBridge source is a JSON {json_type_name(source)}, not an SP-API partner event source",
        )
    if source != SPAPI_EVENT_SOURCE and not source.startswith(SPAPI_EVENT_SOURCE + "/"):
        raise PermanentError(
            Reason.FOREIGN_EVENT_SOURCE,
            f"EventBridge source {clip(source, 200)!r} is not an SP-API event source "
            f"({SPAPI_EVENT_SOURCE}/...)",
        )
    detail = event["detail"]
    if isinstance(detail, str):
        detail = _decode_object(detail, "EventBridge detail")
    elif not isinstance(detail, dict):
        raise PermanentError(
            Reason.MALFORMED_JSON, f"EventBridge detail is a JSON {json_type_name(detail)}, not an object"
        )
    detail_type = event["detail-type"]
    if not _is_raw(detail) and isinstance(detail_type, str) and detail_type:
        type_key = _TYPE_KEYS[0] if any(key in detail for key in _PASCAL_ENVELOPE_KEYS) else _TYPE_KEYS[1]
        detail = {type_key: detail_type, **detail}
    wrappers: tuple[WrapperKind, ...] = (*outer, "eventbridge")
    return Unwrapped(
        kind=wrappers[0],
        notification=detail,
        event_source=source,
        event_id=_str_or_none(event.get("id")),
        wrappers=wrappers,
    )


def _decode_object(text: str, what: str) -> dict[str, Any]:
    """``text`` decoded as a JSON object, else ``MALFORMED_JSON`` naming ``what`` and the error position."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        # exc.msg ("Expecting ',' delimiter") never quotes the body; the position is enough to find the fault.
        raise PermanentError(
            Reason.MALFORMED_JSON,
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno} (char {exc.pos})",
        ) from None
    except RecursionError:
        raise PermanentError(Reason.MALFORMED_JSON, f"{what} is JSON nested too deeply to decode") from None
    if not isinstance(value, dict):
        raise PermanentError(
            Reason.MALFORMED_JSON, f"{what} is a JSON {json_type_name(value)}, not an object"
        )
    return value


def _describe_keys(obj: dict[str, Any]) -> str:
    """``an object with keys ["a", "b"]``: the keys, clipped and at most MAX_KEYS_SHOWN, never the values."""
    if not obj:
        return "an empty JSON object"
    keys = [json.dumps(clip(key, 40)) for key in list(obj)[:MAX_KEYS_SHOWN]]
    more = f" and {len(obj) - MAX_KEYS_SHOWN} more" if len(obj) > MAX_KEYS_SHOWN else ""
    return f"an object with keys [{', '.join(keys)}]{more}"


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
