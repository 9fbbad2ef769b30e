"""Login with Amazon (LWA) access tokens.

refresh_token grant per selling partner; client_credentials grant for grantless operations.

Tokens are cached per (client id, refresh token or scope) until ``expires_in`` minus a skew, and at most one
refresh per key is in flight: a hundred concurrent callers for the same seller cause one token request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import SecretStr
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from spapi.credentials import Grantless, Principal, SellingPartner
from spapi.errors import InvalidClient, InvalidGrant, LwaError, TransportError
from spapi.http import Http, HttpResponse, HttpTransportError

log = structlog.get_logger("spapi.lwa")


@dataclass(frozen=True)
class _CachedToken:
    value: str
    expires_at: float


class _LwaRetryable(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class LwaTokenProvider:
    """LWA access tokens for selling partners and grantless scopes, cached, one refresh per key at a time."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: SecretStr,
        token_url: str,
        http: Http,
        skew: float = 60.0,
        max_attempts: int = 4,
        backoff_initial: float = 0.5,
        backoff_max: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_url = token_url
        self._http = http
        self._skew = skew
        self._max_attempts = max_attempts
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._clock = clock
        self._cache: dict[str, _CachedToken] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def __repr__(self) -> str:
        return f"LwaTokenProvider(client_id={self._client_id!r}, token_url={self._token_url!r})"

    def _key(self, principal: Principal) -> str:
        return f"{self._client_id}|{principal.cache_key}"

    def _cached(self, key: str) -> str | None:
        entry = self._cache.get(key)
        if entry is not None and self._clock() < entry.expires_at:
            return entry.value
        return None

    async def access_token(self, principal: Principal) -> str:
        key = self._key(principal)
        token = self._cached(key)
        if token is not None:
            return token
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            # Whoever held the lock before us may have refreshed it already.
            token = self._cached(key)
            if token is not None:
                return token
            value, expires_in = await self._request_with_retries(principal)
            lifetime = max(0.0, expires_in - self._skew)
            self._cache[key] = _CachedToken(value, self._clock() + lifetime)
            return value

    def invalidate(self, principal: Principal) -> None:
        """Forget a token Amazon rejected as expired, so the next call refreshes it."""
        self._cache.pop(self._key(principal), None)

    def _form(self, principal: Principal) -> dict[str, str]:
        secret = self._client_secret.get_secret_value()
        if isinstance(principal, SellingPartner):
            return {
                "grant_type": "refresh_token",
                "refresh_token": principal.refresh_token.get_secret_value(),
                "client_id": self._client_id,
                "client_secret": secret,
            }
        assert isinstance(principal, Grantless)
        return {
            "grant_type": "client_credentials",
            "scope": principal.scope,
            "client_id": self._client_id,
            "client_secret": secret,
        }

    async def _request_with_retries(self, principal: Principal) -> tuple[str, float]:
        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda e: isinstance(e, _LwaRetryable | HttpTransportError)),
            wait=wait_random_exponential(multiplier=self._backoff_initial, max=self._backoff_max),
            stop=stop_after_attempt(self._max_attempts),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._request(principal)
        except _LwaRetryable as exc:
            raise LwaError(
                subject=principal.label,
                status=exc.status,
                error="temporarily_unavailable",
                description=f"Login with Amazon kept failing after {self._max_attempts} attempts",
            ) from None
        except HttpTransportError as exc:
            raise TransportError("LWA token request", principal.label, exc.cause) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _request(self, principal: Principal) -> tuple[str, float]:
        started = self._clock()
        response = await self._http.request(
            "POST", self._token_url, form=self._form(principal), headers={"accept": "application/json"}
        )
        log.info(
            "lwa.token",
            subject=principal.label,
            grant="refresh_token" if isinstance(principal, SellingPartner) else "client_credentials",
            status=response.status_code,
            duration_ms=round((self._clock() - started) * 1000, 1),
        )
        if response.status_code == 429 or response.status_code >= 500:
            raise _LwaRetryable(response.status_code)
        body = _json_or_empty(response)
        if response.status_code != 200 or "access_token" not in body:
            raise self._error(principal, response.status_code, body)
        return str(body["access_token"]), float(body.get("expires_in", 3600))

    def _error(self, principal: Principal, status: int, body: dict[str, Any]) -> LwaError:
        error = str(body.get("error") or f"http_{status}")
        description = self._scrub(str(body.get("error_description") or ""), principal)
        cls: type[LwaError] = LwaError
        if error == "invalid_grant":
            cls = InvalidGrant
            description = (description + ". " if description else "") + (
                "The refresh token is revoked, expired or for another application: the selling partner must "
                "authorise the application again"
            )
        elif error in {"invalid_client", "unauthorized_client"}:
            cls = InvalidClient
        return cls(subject=principal.label, status=status, error=error, description=description)

    def _scrub(self, text: str, principal: Principal) -> str:
        """Amazon does not echo secrets today; make sure an error message never could."""
        secrets = [self._client_secret.get_secret_value()]
        if isinstance(principal, SellingPartner):
            secrets.append(principal.refresh_token.get_secret_value())
        for secret in secrets:
            if secret:
                text = text.replace(secret, "**********")
        return text


def _json_or_empty(response: HttpResponse) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
