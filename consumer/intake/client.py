"""The one way spapi-notify makes SQS clients: aioboto3, with timeouts and retries fit for the caller.

Endpoint, region and credentials come from the standard AWS configuration (AWS_ENDPOINT_URL, ...).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

import aioboto3
from aiobotocore.config import AioConfig


def sqs_client(
    session: aioboto3.Session,
    *,
    connections: int = 10,
    retries: int = 5,
    long_poll_seconds: int = 0,
) -> AbstractAsyncContextManager[Any]:
    """``async with sqs_client(session) as sqs``: ``connections`` pooled connections (a long-polling receiver
    holds one for its whole wait), ``retries`` attempts per call in botocore's standard mode, and a read
    timeout that outlasts a ``long_poll_seconds`` long poll."""
    config = AioConfig(
        max_pool_connections=connections,
        retries={"mode": "standard", "max_attempts": retries},
        read_timeout=max(30, long_poll_seconds + 15),
        connect_timeout=10,
    )
    return session.client("sqs", config=config)
