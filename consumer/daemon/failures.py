"""Sorting exceptions raised while processing a message into dead-letter (permanent) and retry (transient).

Anything not known to be permanent is retried: SQS's redrive still moves it to the DLQ after maxReceiveCount,
so an unexpected bug costs a few retries, never a message.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from consumer.daemon.identity import Identity
from consumer.daemon.outcome import DeadLetter, Retry
from handlers.errors import PermanentError, Reason, TransientError
from spapi.errors import (
    ClientError,
    InvalidGrant,
    LwaError,
    NotFound,
    QuotaExceeded,
    RateLimitWaitExceeded,
    SpApiError,
)
from spapi.notifications.errors import InvalidNotification
from store.seller_directory import UnknownSeller
from store.token_cipher import EncryptionKeyError, UndecryptableToken


def classify(  # noqa: PLR0911 (one exit per exception family reads best as a flat list)
    exc: BaseException, identity: Identity | None
) -> DeadLetter | Retry:
    """Whether a failure dead-letters the message or leaves it for a retry, and with which reason."""
    if isinstance(exc, PermanentError):
        return DeadLetter(exc.reason, exc.message, identity)
    if isinstance(exc, TransientError):
        return Retry(exc.reason, exc.message, identity)
    if isinstance(exc, InvalidNotification):
        return DeadLetter(Reason.SCHEMA_VIOLATION, exc.message, identity)
    if isinstance(exc, UnknownSeller):
        return DeadLetter(Reason.UNKNOWN_SELLER, str(exc), identity)
    if isinstance(exc, UndecryptableToken | EncryptionKeyError):
        # A key problem is fixed in configuration, not in the message: retry, so a fixed key and a restart
        # recover without a replay (SQS's redrive still bounds the attempts).
        return Retry(Reason.SELLER_CREDENTIALS, str(exc), identity)
    if isinstance(exc, InvalidGrant):
        # The seller revoked the authorisation: no retry helps until someone re-authorises and replays.
        return DeadLetter(Reason.SELLER_CREDENTIALS, str(exc), identity)
    if isinstance(exc, QuotaExceeded | RateLimitWaitExceeded):
        return Retry(Reason.THROTTLED, str(exc), identity)
    if isinstance(exc, ClientError) and not isinstance(exc, NotFound):
        # 400/403/...: Amazon refuses this request as it is. A 404 is retried instead: a resource named in a
        # fresh notification can take a moment to become readable.
        return DeadLetter(Reason.SPAPI_REJECTED, str(exc), identity)
    if isinstance(exc, SpApiError | LwaError):
        return Retry(Reason.SPAPI, str(exc), identity)
    if isinstance(exc, OperationalError | DBAPIError | PoolTimeout | ConnectionError):
        return Retry(Reason.DATABASE, f"{type(exc).__name__}: {_first_line(exc)}", identity)
    if isinstance(exc, TimeoutError):
        return Retry(Reason.TIMEOUT, "the handler did not finish in time", identity)
    return Retry(Reason.HANDLER_ERROR, f"{type(exc).__name__}: {_first_line(exc)}", identity)


def _first_line(exc: BaseException) -> str:
    # SQLAlchemy appends the SQL and its parameters on later lines; parameters may hold buyer data.
    return (str(exc).splitlines() or [""])[0][:500]
