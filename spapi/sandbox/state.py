"""Everything the fake knows and remembers, shared by the test thread and the server thread.

Tests configure it (credentials, faults, responders, documents) and read what happened (counters, recorded
requests). The server thread mutates it on every request, so every access goes through ``self.lock``.
"""

from __future__ import annotations

import json as jsonlib
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any

from spapi.model_catalog import OperationSpec, all_operations
from spapi.sandbox.documents import Compression, DocumentContent, Grant, StoredDocument
from spapi.sandbox.faults import Fault, Faults
from spapi.sandbox.notifications_api import NotificationsState
from spapi.sandbox.ratelimit import RateLimits
from spapi.sandbox.responders import Responder, json_responder
from spapi.sandbox.search_cursor import SearchCursor
from spapi.sandbox.tokens import IssuedToken, RestrictedResource, TokenKind, new_token

# Fault-injection key of the LWA token endpoint (SP-API operations use their operation key).
LWA = "lwa"


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request that reached the SP-API side of the fake, and the status it got (None: dropped)."""

    op_key: str | None
    method: str
    url: str  # as sent: scheme, host, raw (percent-encoded) path and query
    path: str  # raw, percent-encoded
    query: Mapping[str, list[str]]
    headers: Mapping[str, str] = field(repr=False)  # lower-case names
    body: bytes = field(repr=False)
    status: int | None
    token_kind: TokenKind | None
    selling_partner_id: str | None
    path_params: Mapping[str, str] = field(default_factory=dict)
    request_id: str = ""

    @property
    def json(self) -> Any:
        """The body parsed as JSON (None when empty)."""
        return jsonlib.loads(self.body) if self.body else None


def expires_in(ttl: float) -> int | float:
    """Amazon sends whole seconds; a fractional test TTL passes through so short-lived tokens stay short."""
    return int(ttl) if float(ttl).is_integer() else ttl


class SandboxState:
    """Configuration and history of one sandbox.

    Read by tests: ``calls`` (requests that reached an operation, injected faults and refused tokens
    included, throttled ones not), ``throttled`` (429s: the token buckets' and injected ones; of those,
    ``throttled_application`` counts the application-wide bucket's), ``lwa_requests`` (by grant_type),
    ``document_downloads`` (by document id), ``requests`` (every SP-API request with the status it got,
    oldest first; LWA calls and document downloads are only counted).
    """

    def __init__(
        self,
        clients: Mapping[str, str],
        sellers: Mapping[str, str],
        token_ttl: float = 3600,
        *,
        document_url_ttl: float = 300,
        rate_limits_enabled: bool = True,
        rate_limit_tolerance: float = 0.05,
        record_limit: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lock = threading.Lock()
        self.clients: dict[str, str] = dict(clients)
        self.sellers: dict[str, str] = dict(sellers)
        self.token_ttl = token_ttl
        self.document_url_ttl = document_url_ttl
        self.rate_limits_enabled = rate_limits_enabled
        # Seconds of arrival jitter the token buckets forgive (see TokenBucket.take); 0 is exact. Amazon's
        # throttling is not millisecond-exact either, and a client pacing itself correctly still sees its
        # requests bunch up on the way (new connections, a busy event loop).
        self.rate_limit_tolerance = rate_limit_tolerance
        # Keep at most this many RecordedRequests (oldest dropped), for long benchmark or demo runs.
        self.record_limit = record_limit
        self.clock = clock

        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.throttled_application: Counter[str] = Counter()
        self.lwa_requests: Counter[str] = Counter()
        self.document_downloads: Counter[str] = Counter()
        self.requests: list[RecordedRequest] = []

        self.revoked: set[str] = set()
        self.tokens: dict[str, IssuedToken] = {}
        self.rate_limits = RateLimits()
        self.faults = Faults()
        self.responders: dict[str, list[Responder]] = {}
        self.documents: dict[str, StoredDocument] = {}
        self.grants: dict[str, Grant] = {}
        self.reports: dict[str, dict[str, Any]] = {}
        # getFeed's feeds by id; their result documents are served from ``documents`` like report documents.
        self.feeds: dict[str, dict[str, Any]] = {}
        # spapi.sandbox.catalog: getOrder's orders by id, getListingsItem's items by (seller, SKU) (None:
        # deleted); unknown ids answer from the examples, or 404 with strict_catalog.
        self.orders: dict[str, dict[str, Any]] = {}
        # spapi.sandbox.order_search: whose orders searchOrders finds (put_order's seller_id), its pagination
        # tokens, and the wall clock its time bounds are checked against ("two minutes before the request").
        self.order_sellers: dict[str, str] = {}
        self.search_tokens: dict[str, SearchCursor] = {}
        self.wall_clock: Callable[[], float] = time.time
        self.listings: dict[tuple[str, str], dict[str, Any] | None] = {}
        self.strict_catalog = False
        # spapi.sandbox.notifications_api: destinations and subscriptions (strict: unknown ids are 404).
        self.notifications = NotificationsState()

    # -- credentials -------------------------------------------------------------------------------------

    def add_client(self, client_id: str, client_secret: str) -> None:
        with self.lock:
            self.clients[client_id] = client_secret

    def add_seller(self, refresh_token: str, selling_partner_id: str) -> None:
        with self.lock:
            self.sellers[refresh_token] = selling_partner_id
            self.revoked.discard(refresh_token)

    def revoke(self, refresh_token: str) -> None:
        """The seller removed the app's authorisation: LWA now answers invalid_grant for this refresh token.

        Access tokens already issued stay valid until they expire, as bearer tokens do at Amazon.
        """
        with self.lock:
            self.revoked.add(refresh_token)

    def expire_all_tokens(self) -> None:
        """Every access token and RDT issued so far is now expired (403 "has expired" on use)."""
        with self.lock:
            for token in self.tokens.values():
                token.expires_at = -math.inf

    def issue_token(
        self,
        kind: TokenKind,
        *,
        selling_partner_id: str | None = None,
        scope: str | None = None,
        resources: Sequence[RestrictedResource] = (),
    ) -> str:
        token = new_token(kind)
        with self.lock:
            self.tokens[token] = IssuedToken(
                kind=kind,
                expires_at=self.clock() + self.token_ttl,
                selling_partner_id=selling_partner_id,
                scope=scope,
                resources=tuple(resources),
            )
        return token

    # -- faults and throttling ---------------------------------------------------------------------------

    def inject(
        self,
        op_key: str,
        status: int,
        times: int = 1,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """The next ``times`` requests to ``op_key`` get ``status`` (before throttling; they count as calls).

        ``body`` defaults to Amazon's error shape for the status. ``op_key`` may be ``"lwa"``.
        """
        _check_key(op_key)
        with self.lock:
            self.faults.inject(op_key, Fault(status, body, dict(headers or {}), times))

    def inject_lwa(
        self, status: int, times: int = 1, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> None:
        """The next ``times`` LWA token requests get ``status`` (body: LWA's OAuth error shape)."""
        self.inject(LWA, status, times, body, headers)

    def set_delay(self, op_key: str, seconds: float) -> None:
        """Every response of ``op_key`` (or ``"lwa"``) is sent ``seconds`` late; 0 removes the delay."""
        _check_key(op_key)
        with self.lock:
            self.faults.set_delay(op_key, seconds)

    def drop_connection(self, op_key: str, times: int = 1) -> None:
        """The next ``times`` requests to ``op_key`` (or ``"lwa"``) get their connection closed unanswered."""
        _check_key(op_key)
        with self.lock:
            self.faults.drop(op_key, times)

    def set_rate_limit(self, op_key: str, rate: float, burst: int) -> None:
        """Replace the model's usage plan for ``op_key``; its buckets restart full."""
        _check_key(op_key, allow_lwa=False)
        with self.lock:
            self.rate_limits.configure(op_key, rate, burst)

    def set_application_rate_limit(self, op_key: str, rate: float, burst: int) -> None:
        """Set the application-wide plan of ``op_key`` (Amazon documents one for a few APIs)."""
        _check_key(op_key, allow_lwa=False)
        with self.lock:
            self.rate_limits.configure_application(op_key, rate, burst)

    def rate_limit_header(self, spec: OperationSpec) -> str | None:
        with self.lock:
            plan = self.rate_limits.plan(spec)
        return None if plan is None else str(plan.rate)

    # -- responses ---------------------------------------------------------------------------------------

    def on(self, op_key: str, responder: Responder) -> None:
        """Answer ``op_key`` with ``responder`` first; it returns None to fall through. Latest wins."""
        _check_key(op_key, allow_lwa=False)
        with self.lock:
            self.responders.setdefault(op_key, []).insert(0, responder)

    def off(self, op_key: str | None = None) -> None:
        """Remove the responders of ``op_key`` (of every operation if None)."""
        with self.lock:
            if op_key is None:
                self.responders.clear()
            else:
                self.responders.pop(op_key, None)

    def set_json(
        self, op_key: str, body: Any, status: int = 200, match: Mapping[str, str] | None = None
    ) -> None:
        """Answer ``op_key`` with ``body`` when the request's path parameters include ``match``."""
        self.on(op_key, json_responder(body, status, match))

    def responders_for(self, op_key: str) -> list[Responder]:
        with self.lock:
            return list(self.responders.get(op_key, ()))

    # -- reports and documents ---------------------------------------------------------------------------

    def add_document(
        self, report_document_id: str, content: DocumentContent, compression: Compression = "GZIP"
    ) -> None:
        """Serve ``content`` for getReportDocument(report_document_id).

        ``content`` is bytes or a zero-argument callable returning an iterable of byte chunks (called once
        per download, so a huge document is produced as it is sent), already compressed when
        ``compression`` is ``"GZIP"`` (see ``gzip_stream``).
        """
        document = StoredDocument.create(report_document_id, content, compression)
        with self.lock:
            self.documents[report_document_id] = document

    def break_document(self, report_document_id: str, after_bytes: int, times: int = 1) -> None:
        """The next ``times`` downloads of the document are cut after ``after_bytes`` body bytes."""
        with self.lock:
            self.faults.add_break(document_fault_key(report_document_id), after_bytes, times)

    def add_report(self, report: Mapping[str, Any]) -> None:
        """Answer getReport(report["reportId"]) with ``report``."""
        report_id = report.get("reportId")
        if not isinstance(report_id, str) or not report_id:
            raise ValueError("a report needs a string reportId")
        with self.lock:
            self.reports[report_id] = dict(report)

    def add_feed(self, feed: Mapping[str, Any]) -> None:
        """Answer getFeed(feed["feedId"]) with ``feed`` (its result document: add_document)."""
        feed_id = feed.get("feedId")
        if not isinstance(feed_id, str) or not feed_id:
            raise ValueError("a feed needs a string feedId")
        with self.lock:
            self.feeds[feed_id] = dict(feed)

    # -- history -----------------------------------------------------------------------------------------

    def record(self, request: RecordedRequest) -> None:
        with self.lock:
            self.requests.append(request)
            limit = self.record_limit
            # Trim in batches so a bounded history costs O(1) amortised per request.
            if limit is not None and len(self.requests) > limit + max(1, limit // 10):
                del self.requests[: len(self.requests) - limit]

    def clear_history(self) -> None:
        """Forget counters and recorded requests (configuration, tokens and documents stay)."""
        with self.lock:
            counters = (self.calls, self.throttled, self.throttled_application, self.lwa_requests)
            for counter in (*counters, self.document_downloads):
                counter.clear()
            self.requests.clear()


def document_fault_key(report_document_id: str) -> str:
    """The key under which faults of a report document's downloads are scripted."""
    return f"document:{report_document_id}"


def _check_key(op_key: str, *, allow_lwa: bool = True) -> None:
    if (allow_lwa and op_key == LWA) or op_key in all_operations():
        return
    close = get_close_matches(op_key, list(all_operations()), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise KeyError(f"no SP-API operation {op_key!r} in the shipped models{hint}")
