"""A processing directive as an identity: a seller's subscriptions to one type differ by their directives.

Since Amazon allows several subscriptions per notification type (filter expressions, event filters), a
subscription is identified by seller + type + directive. Two directives are the same when they say the same
thing: the same fields, and lists of the same values in any order (Amazon does not promise to keep the order
of marketplace ids or order change types).
"""

from __future__ import annotations

import json
from typing import Any

from spapi.models.notifications_api import ProcessingDirective


def directive_dump(directive: ProcessingDirective | None) -> dict[str, Any] | None:
    """The directive as Amazon's JSON (None for none, or an empty one)."""
    if directive is None:
        return None
    dumped = directive.model_dump(by_alias=True, exclude_none=True)
    return dumped or None


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_canonical(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return value


def directive_key(directive: ProcessingDirective | None) -> str:
    """The directive's identity: equal for directives that say the same thing ('' for no directive)."""
    dumped = directive_dump(directive)
    if dumped is None:
        return ""
    return json.dumps(_canonical(dumped), sort_keys=True, separators=(",", ":"))


def describe_directive(directive: ProcessingDirective | None) -> str:
    """A short label for terminals: ``filterExpression ...`` or ``eventFilter k=v ...`` ('' for none)."""
    if directive is None:
        return ""
    if directive.filter_expression is not None:
        return f"filterExpression {directive.filter_expression}"
    event_filter = directive.event_filter
    if event_filter is None:
        return ""
    parts = []
    if event_filter.marketplace_ids:
        parts.append(f"marketplaceIds={','.join(event_filter.marketplace_ids)}")
    if event_filter.order_change_types:
        parts.append(f"orderChangeTypes={','.join(event_filter.order_change_types)}")
    if event_filter.aggregation_settings is not None:
        parts.append(f"aggregation={event_filter.aggregation_settings.aggregation_time_period}")
    return " ".join(["eventFilter", *parts])
