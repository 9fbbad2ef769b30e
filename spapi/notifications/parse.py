"""Turn a decoded SP-API notification object into a typed ``Notification``."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import ValidationError

from spapi.notifications.envelope import ENVELOPE_KEYS, METADATA_KEYS, KeyCase, Notification
from spapi.notifications.errors import InvalidNotification
from spapi.notifications.messages import describe_notification, format_errors, json_type_name
from spapi.notifications.payload_models import canonical_type, payload_model


def parse_notification(data: object) -> Notification[Any]:
    """Validate one notification (either key case) and type its payload by (notificationType, payloadVersion).

    Raises ``InvalidNotification`` naming the notification and the failing field paths.
    """
    if not isinstance(data, dict):
        raise InvalidNotification(f"notification is a JSON {json_type_name(data)}, not an object")
    key_case = detect_key_case(data)
    fields, conflicts = _normalized(data, ENVELOPE_KEYS, "")
    metadata = fields.get("metadata")
    notification_id = None
    if isinstance(metadata, dict):
        metadata_path = _wire_key("metadata", key_case) + "."
        fields["metadata"], metadata_conflicts = _normalized(metadata, METADATA_KEYS, metadata_path)
        conflicts += metadata_conflicts
        notification_id = fields["metadata"].get("notification_id")

    notification_type = fields.get("notification_type")
    payload_version = fields.get("payload_version")
    if isinstance(notification_type, str):
        notification_type = fields["notification_type"] = canonical_type(notification_type)
    described = describe_notification(notification_type, payload_version, notification_id)
    if conflicts:
        raise InvalidNotification(f"{described}: {'; '.join(conflicts)}")

    model = (
        payload_model(notification_type, payload_version)
        if isinstance(notification_type, str) and isinstance(payload_version, str)
        else None
    )
    try:
        return _notification_class(model).model_validate({**fields, "key_case": key_case, "raw": data})
    except ValidationError as exc:
        problems = format_errors(exc.errors(), lambda loc: _wire_path(loc, key_case))
        # Not chained: a ValidationError's text quotes the offending input, which may be buyer data.
        raise InvalidNotification(f"{described}: {problems}") from None


def detect_key_case(data: dict[str, Any]) -> KeyCase:
    """The case of the first envelope key present, NotificationType first (PascalCase when there is none)."""
    for pascal, camel in ENVELOPE_KEYS.values():
        if pascal in data:
            return "pascal"
        if camel in data:
            return "camel"
    return "pascal"


def _normalized(
    data: dict[str, Any], keys: Mapping[str, tuple[str, str]], path: str
) -> tuple[dict[str, Any], list[str]]:
    """``data``'s values by attribute name, from whichever key case is present (absent keys stay absent).

    Also the keys present in both cases with different values: nothing tells which of the two is meant.
    """
    result: dict[str, Any] = {}
    conflicts: list[str] = []
    for name, (pascal, camel) in keys.items():
        present = [data[key] for key in (pascal, camel) if key in data]
        if len(present) == 2 and present[0] != present[1]:
            conflicts.append(f"{path}{pascal} and {path}{camel} are both present, with different values")
        if present:
            result[name] = present[0]
    return result, conflicts


@cache
def _notification_class(model: type[Any] | None) -> type[Notification[Any]]:
    if model is None:
        return Notification[dict[str, Any]]
    # mypy cannot check a generic parametrized with a runtime value; the registry only holds TypedPayloads.
    return Notification[model]  # type: ignore[valid-type]


def _wire_key(name: str, key_case: KeyCase, keys: Mapping[str, tuple[str, str]] = ENVELOPE_KEYS) -> str:
    pascal, camel = keys[name]
    return pascal if key_case == "pascal" else camel


def _wire_path(loc: tuple[int | str, ...], key_case: KeyCase) -> str:
    """An error location as the keys Amazon sends: ``("metadata", "notification_id")`` ->
    ``NotificationMetadata.NotificationId``; payload locations are already wire keys (the models' aliases)."""
    if not loc or loc[0] not in ENVELOPE_KEYS:
        return ".".join(str(part) for part in loc) or "notification"
    path = _wire_key(str(loc[0]), key_case)
    rest = loc[1:]
    if loc[0] == "metadata" and rest and rest[0] in METADATA_KEYS:
        path += "." + _wire_key(str(rest[0]), key_case, METADATA_KEYS)
        rest = rest[1:]
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path
