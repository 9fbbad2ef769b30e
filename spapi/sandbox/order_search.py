"""searchOrders (Orders API 2026-01-01) answered from the orders the sandbox holds, as Amazon pages them.

The orders are those put with a seller (``catalog.put_order(state, order, seller_id)``); a caller sees only
its own. Filters: ``lastUpdatedAfter``/``lastUpdatedBefore`` or ``createdAfter``/``createdBefore``
(inclusive), ``marketplaceIds``, ``fulfillmentStatuses``, ``fulfilledBy``; results are ordered by that
time, then orderId, cut to ``includedData`` and paged by ``maxResultsPerPage`` (1..100, default 100).
Amazon's rules are enforced with its 400 InvalidInput: exactly one of createdAfter and lastUpdatedAfter; a
``...Before`` bound not before its ``...After`` and at least two minutes before the request (on
``state.wall_clock``); a ``paginationToken`` valid only with the other parameters of the search that issued
it, and for 24 hours (on ``state.clock``).

A request matching one of the model's static examples exactly gets that example instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from spapi.sandbox.catalog import csv_values, with_datasets
from spapi.sandbox.errors import invalid_input
from spapi.sandbox.examples import examples_for
from spapi.sandbox.responders import SandboxRequest, SandboxResponse
from spapi.sandbox.search_cursor import SearchCursor
from spapi.sandbox.state import SandboxState

SEARCH_ORDERS = "orders_2026-01-01.searchOrders"
TOKEN_LIFETIME = 24 * 3600.0
# "... at least two minutes before the time of the request" (the model, on createdBefore/lastUpdatedBefore).
NEWEST_BOUND = timedelta(minutes=2)
MAX_PAGE = 100
REFUSED_PAGE_MESSAGE = (
    "The paginationToken you have submitted is not valid. "
    "All parameters must match the original request except maxResultsPerPage."
)
# What a token must be sent with unchanged: everything but these (the model's Pagination description).
_FREE_PARAMETERS = frozenset({"paginationToken", "maxResultsPerPage", "includedData"})


class _Invalid(ValueError):
    pass


@dataclass(frozen=True)
class _Search:
    """A searchOrders request's filters, checked."""

    by: str  # "lastUpdatedTime" or "createdTime"
    after: datetime
    before: datetime
    marketplaces: frozenset[str]
    statuses: frozenset[str]
    fulfilled_by: frozenset[str]
    page_size: int
    included_data: list[str]

    def selects(self, order: Mapping[str, Any]) -> bool:
        when = _instant(order.get(self.by))
        if when is None or not self.after <= when <= self.before:
            return False
        fulfillment = order.get("fulfillment") or {}
        channel = order.get("salesChannel") or {}
        return (
            (not self.marketplaces or channel.get("marketplaceId") in self.marketplaces)
            and (not self.statuses or fulfillment.get("fulfillmentStatus") in self.statuses)
            and (not self.fulfilled_by or fulfillment.get("fulfilledBy") in self.fulfilled_by)
        )

    def key(self, order: Mapping[str, Any]) -> tuple[datetime, str]:
        when = _instant(order.get(self.by))
        assert when is not None
        return when, str(order.get("orderId"))


def search_orders(state: SandboxState, request: SandboxRequest) -> SandboxResponse | None:
    """searchOrders from the sandbox's orders (see the module docstring); None: answer from the examples."""
    if any(example.matches(request) for example in examples_for(SEARCH_ORDERS).static):
        return None
    caller = request.selling_partner_id
    with state.lock:
        owned = [order_id for order_id, seller in state.order_sellers.items() if seller == caller]
        orders = [state.orders[order_id] for order_id in owned if order_id in state.orders]
        now, wall = state.clock(), datetime.fromtimestamp(state.wall_clock(), UTC)
        try:
            search = _search(request, wall)
            cursor = _cursor(state, request, now)
        except _Invalid as invalid:
            return SandboxResponse(400, invalid_input(str(invalid)))
        selected = sorted((o for o in orders if search.selects(o)), key=search.key)
        if cursor is not None:
            start = (cursor.after_time, cursor.after_id)
            selected = [o for o in selected if search.key(o) > start]
        page, rest = selected[: search.page_size], selected[search.page_size :]
        body: dict[str, Any] = {"orders": [with_datasets(o, search.included_data) for o in page]}
        if rest:
            after_time, after_id = search.key(page[-1])
            if len(state.search_tokens) > 10_000:
                # A long bench run would otherwise keep every token it was ever given.
                for old in [t for t, c in state.search_tokens.items() if now - c.issued_at > TOKEN_LIFETIME]:
                    del state.search_tokens[old]
            token = secrets.token_urlsafe(24)
            state.search_tokens[token] = SearchCursor(caller, _parameters(request), after_time, after_id, now)
            body["pagination"] = {"nextToken": token}
    bound = "lastUpdatedBefore" if search.by == "lastUpdatedTime" else "createdBefore"
    body[bound] = _iso(search.before)
    return SandboxResponse(200, body)


def _search(request: SandboxRequest, wall: datetime) -> _Search:
    created_after, updated_after = _time(request, "createdAfter"), _time(request, "lastUpdatedAfter")
    created_before, updated_before = _time(request, "createdBefore"), _time(request, "lastUpdatedBefore")
    if (created_after is None) == (updated_after is None):
        raise _Invalid("You must provide exactly one of createdAfter and lastUpdatedAfter.")
    if created_after is not None and updated_before is not None:
        raise _Invalid("lastUpdatedBefore may not be provided with createdAfter.")
    if updated_after is not None and created_before is not None:
        raise _Invalid("createdBefore may not be provided with lastUpdatedAfter.")
    by, after, before, name = (
        ("createdTime", created_after, created_before, "createdBefore")
        if created_after is not None
        else ("lastUpdatedTime", updated_after, updated_before, "lastUpdatedBefore")
    )
    assert after is not None
    newest = wall - NEWEST_BOUND
    if before is None:
        before = newest
    elif before > newest:
        raise _Invalid(f"{name} must be at least two minutes before the time of the request.")
    if before < after:
        raise _Invalid(f"{name} must be equal to or after {name.replace('Before', 'After')}.")
    size = request.query.get("maxResultsPerPage", [str(MAX_PAGE)])[-1]
    if not size.isdigit() or not 1 <= int(size) <= MAX_PAGE:
        raise _Invalid(f"maxResultsPerPage must be between 1 and {MAX_PAGE}.")
    return _Search(
        by=by,
        after=after,
        before=before,
        marketplaces=frozenset(csv_values(request, "marketplaceIds")),
        statuses=frozenset(csv_values(request, "fulfillmentStatuses")),
        fulfilled_by=frozenset(csv_values(request, "fulfilledBy")),
        page_size=int(size),
        included_data=csv_values(request, "includedData"),
    )


def _cursor(state: SandboxState, request: SandboxRequest, now: float) -> SearchCursor | None:
    token = request.query.get("paginationToken", [""])[-1]
    if not token:
        return None
    cursor = state.search_tokens.get(token)
    if (
        cursor is None
        or now - cursor.issued_at > TOKEN_LIFETIME
        or cursor.selling_partner_id != request.selling_partner_id
        or cursor.parameters != _parameters(request)
    ):
        raise _Invalid(REFUSED_PAGE_MESSAGE)
    return cursor


def _parameters(request: SandboxRequest) -> tuple[tuple[str, str], ...]:
    """The search's identity: its parameters but the free ones, times as instants, arrays as sets."""
    found = []
    for name in sorted(set(request.query) - _FREE_PARAMETERS):
        values = sorted(csv_values(request, name))
        instants = [_instant(v) for v in values]
        text = ",".join(_iso(i) if i is not None else v for i, v in zip(instants, values, strict=True))
        found.append((name, text))
    return tuple(found)


def _time(request: SandboxRequest, name: str) -> datetime | None:
    raw = request.query.get(name)
    if not raw or not raw[-1]:
        return None
    parsed = _instant(raw[-1])
    if parsed is None:
        raise _Invalid(f"{name} must be a date in ISO 8601 format, got {raw[-1]!r}.")
    return parsed


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
