"""The SP-API client: one place where every call is authorised, paced, signed, retried, logged and typed."""

from __future__ import annotations

import asyncio
import platform
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import httpx
import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

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
    SpApiHttpError,
    TransportError,
    Unauthorized,
    error_for_response,
    parse_rate_limit,
)
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
        http: httpx.AsyncClient | None = None,
        budget: BudgetStore | None = None,
        limiter: Pacer | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        observer: CallObserver | None = None,
    ) -> None:
        self.config = config
        self.observer: CallObserver = observer or NoObserver()
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(config.timeout, connect=10.0),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
            headers={"user-agent": USER_AGENT},
        )
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
    ) -> httpx.Response:
        """Send one operation, waiting for a rate-limit slot and retrying what may succeed later.

        Raises a typed SpApiError subclass; returns only 2xx responses, with the body read.
        """
        if restricted and not isinstance(principal, SellingPartner):
            raise ValueError(f"{operation.key}: a Restricted Data Token needs a selling partner")
        url = self.config.base_url + operation.render_path(path_params or {})
        params = _encode_query(query or {})
        retrying = AsyncRetrying(
            retry=retry_if_exception(is_retryable),
            wait=wait_random_exponential(multiplier=self.config.backoff_initial, max=self.config.backoff_max),
            stop=stop_after_attempt(self.config.max_attempts),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send(
                    operation=operation,
                    principal=principal,
                    url=url,
                    params=params,
                    json=json,
                    restricted=restricted,
                )
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(
        self,
        *,
        operation: Operation,
        principal: Principal,
        url: str,
        params: dict[str, str],
        json: Any,
        restricted: Sequence[RestrictedResource] | None,
    ) -> httpx.Response:
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
            request = self.http.build_request(
                operation.method,
                url,
                params=params,
                json=json,
                headers={"x-amz-access-token": token, "accept": "application/json"},
            )
            if self.signer is not None:
                await self.signer.sign(request)
            started = self._clock()
            try:
                response = await self.http.send(request)
            except httpx.TransportError as exc:
                self.observer.answered(operation.key, None, self._clock() - started)
                log.warning(
                    "spapi.request",
                    operation=operation.key,
                    selling_partner=label,
                    error=type(exc).__name__,
                    duration_ms=round((self._clock() - started) * 1000, 1),
                )
                raise TransportError(operation.key, label, exc) from exc
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

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "spapi.retry",
            attempt=state.attempt_number,
            wait_s=round(state.upcoming_sleep, 3),
            error=str(exc) if exc else None,
        )
