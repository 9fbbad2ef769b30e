"""Typed SP-API errors.

One class per status family (ClientError for 4xx, ServerError for 5xx) plus QuotaExceeded for 429, with
subclasses for the 4xx statuses callers act on. Every error carries what an operator needs to follow it up
with Amazon (status, Amazon's error codes and messages, x-amzn-RequestId, the rate-limit header) and never a
token or secret: messages are built only from the operation, the selling partner id and Amazon's response.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from spapi.http import HttpResponse


@dataclass(frozen=True)
class AmazonError:
    """One entry of Amazon's ``errors`` array."""

    code: str
    message: str
    details: str | None = None

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}" if self.message else self.code
        return f"{text} ({self.details})" if self.details else text


class SpApiError(Exception):
    """Base of every error raised by the spapi package."""


class SpApiHttpError(SpApiError):
    """SP-API answered with a non-success HTTP status."""

    def __init__(
        self,
        *,
        operation: str,
        status: int,
        selling_partner: str | None,
        errors: Sequence[AmazonError] = (),
        request_id: str | None = None,
        rate_limit: float | None = None,
    ) -> None:
        self.operation = operation
        self.status = status
        self.selling_partner = selling_partner
        self.errors = tuple(errors)
        self.request_id = request_id
        self.rate_limit = rate_limit
        super().__init__(self._describe())

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(e.code for e in self.errors)

    def _describe(self) -> str:
        who = f" for selling partner {self.selling_partner}" if self.selling_partner else " (grantless)"
        detail = "; ".join(str(e) for e in self.errors) or "no error body"
        extra = []
        if self.request_id:
            extra.append(f"request id {self.request_id}")
        if self.rate_limit is not None:
            extra.append(f"rate limit {self.rate_limit:g}/s")
        suffix = f" [{', '.join(extra)}]" if extra else ""
        return f"{self.operation}{who} failed with HTTP {self.status}: {detail}{suffix}"


class ClientError(SpApiHttpError):
    """4xx other than 429: the request is wrong and retrying it will not help."""


class BadRequest(ClientError):
    """400: invalid input."""


class Unauthorized(ClientError):
    """401/403: token invalid or expired, or the application lacks the role for this operation."""


class NotFound(ClientError):
    """404: the resource does not exist."""


class Conflict(ClientError):
    """409: the resource already exists (e.g. createDestination/createSubscription duplicates)."""


class QuotaExceeded(SpApiHttpError):
    """429: Amazon throttled the request."""


class ServerError(SpApiHttpError):
    """5xx: Amazon failed; retryable."""


class TransportError(SpApiError):
    """The request never got an HTTP response (connection refused, reset, timeout)."""

    def __init__(self, operation: str, selling_partner: str | None, cause: BaseException) -> None:
        self.operation = operation
        self.selling_partner = selling_partner
        who = f" for selling partner {selling_partner}" if selling_partner else " (grantless)"
        super().__init__(f"{operation}{who}: transport error: {type(cause).__name__}: {cause}")


class RateLimitWaitExceeded(SpApiError):
    """Our own limiter would have to wait longer than the configured maximum for a request slot."""

    def __init__(self, operation: str, selling_partner: str | None, wait: float, max_wait: float) -> None:
        self.operation = operation
        self.selling_partner = selling_partner
        self.wait = wait
        self.max_wait = max_wait
        super().__init__(
            f"{operation} for {selling_partner or 'grantless calls'}: the rate limit needs a "
            f"{wait:.1f}s wait, more than the {max_wait:g}s allowed (SPAPI_NOTIFY_RATE_LIMIT_MAX_WAIT)"
        )


class LwaError(SpApiError):
    """Login with Amazon refused to issue an access token."""

    def __init__(self, *, subject: str, status: int, error: str, description: str) -> None:
        self.subject = subject
        self.status = status
        self.error = error
        self.description = description
        super().__init__(
            f"Login with Amazon refused a token for {subject}: HTTP {status} {error}"
            + (f": {description}" if description else "")
        )


class InvalidGrant(LwaError):
    """The refresh token is revoked, expired or for another application: the seller must re-authorise."""


class InvalidClient(LwaError):
    """The LWA client id or secret is wrong (SPAPI_NOTIFY_LWA_CLIENT_ID, SPAPI_NOTIFY_LWA_CLIENT_SECRET)."""


class DocumentDownloadError(SpApiError):
    """A report document could not be downloaded from its presigned URL."""


_CLIENT_ERRORS: dict[int, type[ClientError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Unauthorized,
    404: NotFound,
    409: Conflict,
}


def parse_amazon_errors(body: Any) -> list[AmazonError]:
    """Amazon's ``{"errors": [{"code", "message", "details"}]}``, tolerating other shapes."""
    if not isinstance(body, dict):
        return []
    raw = body.get("errors")
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        return []
    found = []
    for item in raw:
        if isinstance(item, dict):
            details = item.get("details")
            found.append(
                AmazonError(
                    code=str(item.get("code", "")),
                    message=str(item.get("message", "")),
                    details=str(details) if details else None,
                )
            )
    return found


def parse_rate_limit(headers: Mapping[str, str]) -> float | None:
    """The x-amzn-RateLimit-Limit header in requests per second; None when absent or not a number."""
    raw = headers.get("x-amzn-RateLimit-Limit")
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return None


def error_for_response(operation: str, selling_partner: str | None, response: HttpResponse) -> SpApiHttpError:
    """The typed error for a non-2xx response (the body must already be read)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    errors = parse_amazon_errors(body)
    if not errors and response.content:
        errors = [AmazonError(code=f"HTTP{response.status_code}", message=response.text[:200])]
    status = response.status_code
    cls: type[SpApiHttpError]
    if status == 429:
        cls = QuotaExceeded
    elif 400 <= status < 500:
        cls = _CLIENT_ERRORS.get(status, ClientError)
    else:
        cls = ServerError
    return cls(
        operation=operation,
        status=status,
        selling_partner=selling_partner,
        errors=errors,
        request_id=response.headers.get("x-amzn-RequestId"),
        rate_limit=parse_rate_limit(response.headers),
    )
