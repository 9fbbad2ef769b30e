"""The SP-API client: one place where every call is authorised, paced, signed, retried, logged and typed."""

from __future__ import annotations

import asyncio
import json as jsonlib
import platform
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import structlog

from spapi.apis.feeds import FeedsApi
from spapi.apis.listings import ListingsItemsApi
from spapi.apis.notifications import NotificationsApi
from spapi.apis.orders import OrdersApi
from spapi.apis.reports import ReportsApi
from spapi.apis.tokens import TokensApi
from spapi.config import SpApiConfig
from spapi.credentials import Principal, SellingPartner
from spapi.documents import DocumentDownloader
from spapi.errors import (
    QuotaExceeded,
    ServerError,
    SpApiError,
    SpApiHttpError,
    TransportError,
    Unauthorized,
    error_for_response,
    parse_rate_limit,
)
from spapi.http import Http, HttpResponse, HttpTransportError
from spapi.lwa import LwaTokenProvider
from spapi.observer import CallObserver, NoObserver
from spapi.operation import Operation
from spapi.pacing import GRANTLESS_PARTNER, BudgetStore, CallKey, Headroom, MemoryBudget, Pacer
from spapi.rdt import RestrictedDataTokens
from spapi.regions import Region
from spapi.requester import QueryValue
from spapi.restricted import RestrictedResource
from spapi.sigv4 import SigV4Signer

log = structlog.get_logger("spapi")

USER_AGENT = f"spapi-notify/0.1.0 (Language=Python/{platform.python_version()})"
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


def is_retryable(exc: BaseException) -> bool:
    """429, 500, 502, 503, 504 and transport errors; never another 4xx."""
    if isinstance(exc, TransportError):
        return True
    return isinstance(exc, QuotaExceeded | ServerError) and exc.status in RETRYABLE_STATUSES


def _token_expired(error: SpApiHttpError) -> bool:
    return isinstance(error, Unauthorized) and any(
        "expired" in (e.details or "").lower() or "expired" in e.message.lower() for e in error.errors
    )


def _application_throttled(error: SpApiHttpError) -> bool:
    """A 429 from the application-wide limit rather than the account's (the Listings Items API says so)."""
    return isinstance(error, QuotaExceeded) and any(
        "for the application" in e.message.lower() for e in error.errors
    )


def _encode_query(query: Mapping[str, QueryValue]) -> dict[str, str]:
    """SP-API takes arrays as comma-separated values (Swagger collectionFormat csv)."""
    encoded: dict[str, str] = {}
    for name, value in query.items():
        if value is None:
            continue
        if isinstance(value, bool):
            encoded[name] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            encoded[name] = str(value)
        else:
            if not value:
                continue
            encoded[name] = ",".join(value)
    return encoded


class SpApiClient:
    """Async SP-API client. Use as ``async with SpApiClient(config) as client``."""

    def __init__(
        self,
        config: SpApiConfig,
        *,
        http: Http | None = None,
        budget: BudgetStore | None = None,
        limiter: Pacer | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        observer: CallObserver | None = None,
    ) -> None:
        self.config = config
        self.observer: CallObserver = observer or NoObserver()
        self._owns_http = http is None
        self.http = http or Http(config.timeout, user_agent=USER_AGENT)
        self._clock = clock
        self._sleep = sleep
        self.lwa = LwaTokenProvider(
            client_id=config.lwa_client_id,
            client_secret=config.lwa_client_secret,
            token_url=config.lwa_endpoint,
            http=self.http,
            skew=config.token_refresh_skew,
            backoff_initial=config.backoff_initial,
            backoff_max=config.backoff_max,
            clock=clock,
        )
        # The budget every call spends: in this process's memory unless a shared one is handed in.
        self.limiter = limiter or Pacer(
            budget or MemoryBudget(clock),
            overrides=config.rate_limit_overrides,
            headroom=Headroom(config.rate_limit_margin, config.rate_limit_jitter),
            max_wait=config.rate_limit_max_wait,
            clock=clock,
            sleep=sleep,
        )
        self.tokens = TokensApi(self)
        self.rdt = RestrictedDataTokens(
            self.tokens.create_restricted_data_token, skew=config.token_refresh_skew, clock=clock
        )
        self.signer = (
            SigV4Signer(
                config.aws_region,
                role_arn=config.sigv4_role_arn,
                role_session_name=config.sigv4_role_session_name,
            )
            if config.sigv4
            else None
        )

        self.orders = OrdersApi(self, self.rdt)
        self.listings = ListingsItemsApi(self)
        self.reports = ReportsApi(
            self,
            DocumentDownloader(
                self.http, backoff_initial=config.backoff_initial, backoff_max=config.backoff_max
            ),
        )
        self.notifications = NotificationsApi(self)
        # Feed processing reports download like report documents: one downloader for both.
        self.feeds = FeedsApi(self, self.reports.downloader)
        self._regional: dict[Region, SpApiClient] = {}

    def __repr__(self) -> str:
        return f"SpApiClient(base_url={self.config.base_url!r}, client_id={self.config.lwa_client_id!r})"

    async def __aenter__(self) -> SpApiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    def for_region(self, region: Region) -> SpApiClient:
        """The client for another SP-API region, sharing this one's HTTP pool and rate limiter.

        A seller's calls go to its own region's host; with an endpoint override every region is that host.
        """
        if region == self.config.region or self.config.endpoint:
            return self
        if region not in self._regional:
            config = self.config.model_copy(update={"region": region})
            self._regional[region] = SpApiClient(
                config,
                http=self.http,
                limiter=self.limiter,
                clock=self._clock,
                sleep=self._sleep,
                observer=self.observer,
            )
        return self._regional[region]

    async def request(
        self,
        operation: Operation,
        principal: Principal,
        *,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, QueryValue] | None = None,
        json: Any = None,
        restricted: Sequence[RestrictedResource] | None = None,
    ) -> HttpResponse:
        """Send one operation, waiting for a rate-limit slot and retrying what may succeed later.

        Raises a typed SpApiError subclass; returns only 2xx responses, with the body read. Retries (429,
        5xx, transport errors) wait a random time up to backoff_initial x 2^(attempt-1), at most backoff_max.
        """
        if restricted and not isinstance(principal, SellingPartner):
            raise ValueError(f"{operation.key}: a Restricted Data Token needs a selling partner")
        url = self.config.base_url + operation.render_path(path_params or {})
        encoded = urlencode(_encode_query(query or {}), quote_via=quote)
        if encoded:
            url = f"{url}?{encoded}"
        body = None if json is None else jsonlib.dumps(json, separators=(",", ":")).encode()
        attempt = 1
        while True:
            try:
                return await self._send(
                    operation=operation, principal=principal, url=url, body=body, restricted=restricted
                )
            except SpApiError as exc:
                if attempt >= self.config.max_attempts or not is_retryable(exc):
                    raise
                ceiling = min(self.config.backoff_max, self.config.backoff_initial * 2 ** (attempt - 1))
                wait = random.uniform(0, ceiling)  # noqa: S311 (jitter, not cryptography)
                log.warning("spapi.retry", attempt=attempt, wait_s=round(wait, 3), error=str(exc))
                await self._sleep(wait)
                attempt += 1

    async def _send(
        self,
        *,
        operation: Operation,
        principal: Principal,
        url: str,
        body: bytes | None,
        restricted: Sequence[RestrictedResource] | None,
    ) -> HttpResponse:
        partner = principal.id if isinstance(principal, SellingPartner) else GRANTLESS_PARTNER
        call = CallKey(partner, operation.key, self.config.region.value, self.config.lwa_client_id)
        label = call.label
        refreshed = False
        while True:
            self.observer.waited(operation.key, await self.limiter.acquire(call))
            if restricted:
                assert isinstance(principal, SellingPartner)
                token = await self.rdt.token(principal, restricted)
            else:
                token = await self.lwa.access_token(principal)
            headers = {
                "host": urlsplit(url).netloc,
                "x-amz-access-token": token,
                "accept": "application/json",
            }
            if body is not None:
                headers["content-type"] = "application/json"
            if self.signer is not None:
                headers.update(await self.signer.sign(operation.method, url, headers, body))
            started = self._clock()
            try:
                response = await self.http.request(operation.method, url, headers=headers, body=body)
            except HttpTransportError as exc:
                self.observer.answered(operation.key, None, self._clock() - started)
                log.warning(
                    "spapi.request",
                    operation=operation.key,
                    selling_partner=label,
                    error=type(exc.cause).__name__,
                    duration_ms=round((self._clock() - started) * 1000, 1),
                )
                raise TransportError(operation.key, label, exc.cause) from exc
            self.observer.answered(operation.key, response.status_code, self._clock() - started)
            error = None if response.is_success else error_for_response(operation.key, label, response)
            await self.limiter.observe(
                call,
                status=response.status_code,
                rate_limit=parse_rate_limit(response.headers),
                application=error is not None and _application_throttled(error),
            )
            log.info(
                "spapi.request",
                operation=operation.key,
                selling_partner=label,
                status=response.status_code,
                request_id=response.headers.get("x-amzn-RequestId"),
                duration_ms=round((self._clock() - started) * 1000, 1),
                restricted=bool(restricted),
            )
            if error is None:
                return response
            if _token_expired(error) and not refreshed:
                # Our cache thought it valid (clock skew, revocation): refresh once and resend.
                refreshed = True
                if restricted:
                    assert isinstance(principal, SellingPartner)
                    self.rdt.invalidate(principal, restricted)
                else:
                    self.lwa.invalidate(principal)
                continue
            raise error
