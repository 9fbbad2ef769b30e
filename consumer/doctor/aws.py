"""The doctor's AWS clients: read-only calls, few retries (a diagnosis should answer quickly), and errors
said in a sentence."""

from __future__ import annotations

import re
from contextlib import AbstractAsyncContextManager
from typing import Any

from aiobotocore.config import AioConfig
from botocore.exceptions import BotoCoreError, ClientError

_CONFIG = AioConfig(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=10, read_timeout=20)
_QUEUE_HOST = re.compile(r"^https?://(?:sqs\.(?P<a>[a-z0-9-]+)|(?P<b>[a-z0-9-]+)\.queue)\.amazonaws\.com")
_SQS_ARN = re.compile(r"^arn:aws[a-z-]*:sqs:(?P<region>[a-z0-9-]+):(?P<account>\d+):(?P<name>.+)$")

AWS_ERRORS = (ClientError, BotoCoreError)


def client(session: Any, service: str, region: str | None = None) -> AbstractAsyncContextManager[Any]:
    """``async with client(session, "sqs") as sqs``: an aioboto3 client for read-only checks."""
    if region is None:
        return session.client(service, config=_CONFIG)  # type: ignore[no-any-return]
    return session.client(service, region_name=region, config=_CONFIG)  # type: ignore[no-any-return]


def region_of_queue_url(url: str) -> str | None:
    """The AWS region an SQS queue URL names (``sqs.REGION.amazonaws.com``), or None (an emulator's URL)."""
    match = _QUEUE_HOST.match(url)
    return (match.group("a") or match.group("b")) if match else None


def parse_queue_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account, name) of an SQS queue ARN."""
    match = _SQS_ARN.match(arn)
    return (match.group("region"), match.group("account"), match.group("name")) if match else None


def error_code(exc: BaseException) -> str:
    """The AWS error code of a failed call ('' when it has none)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def describe(exc: BaseException) -> str:
    """A failed AWS call in one line."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        message = str(error.get("Message", "")).strip()
        if message.startswith("<"):  # an HTML error page (an emulator's 500)
            message = "the endpoint answered with an HTML error page"
        return f"{exc.operation_name}: {error.get('Code', '?')} {message}".strip()
    return f"{type(exc).__name__}: {exc}"
