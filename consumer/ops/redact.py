"""Passwords in URLs and DSNs (``postgresql://user:PASSWORD@host/db``) masked wherever text is shown.

Secrets held as SecretStr are masked by pydantic; a database URL is a plain string that carries its password,
so every command's output, every error line and every log event goes through ``mask_passwords``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any

MASK = "***"
# scheme://user:password@ : the password ends at the last '@' before the host part.
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]*:)(?P<password>[^\s/]*)@")


def mask_passwords(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``."""
    if "://" not in text:
        return text
    return _USERINFO.sub(lambda m: f"{m['head']}{MASK}@", text)


def masked(value: Any) -> Any:
    """A JSON-like value (dicts, lists, strings) with every string's URL passwords masked."""
    if isinstance(value, str):
        return mask_passwords(value)
    if isinstance(value, Mapping):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [masked(item) for item in value]
    return value


def mask_log_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: URL passwords masked in every string of the event (exception text included)."""
    for key, value in event.items():
        if isinstance(value, str) and "://" in value:
            event[key] = mask_passwords(value)
    return event
