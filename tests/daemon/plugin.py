"""A handler plugin for daemon tests (SPAPI_NOTIFY_PLUGINS=tests.daemon.plugin), steered by its payload.

Payload keys: ``sleep`` (seconds in prepare), ``transient_failures`` (fail this many times per notification
id in this process, then succeed), ``permanent`` (a PermanentError with this text), ``crash`` (a bug: any
other exception). Every success inserts one row into ``test_effects``, so a count per notification id shows
effects applied more than once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.context import HandlerContext
from handlers.contract import Effect
from handlers.errors import PermanentError, Reason, TransientError
from handlers.registry import Registry
from spapi.notifications import Notification
from tests.builders import TEST_TYPE

test_metadata = MetaData()
TEST_EFFECTS = Table(
    "test_effects",
    test_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notification_id", String(128), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

_failures: Counter[str] = Counter()


class SteeredHandler:
    def __init__(self, context: HandlerContext) -> None:
        self.context = context

    async def prepare(self, notification: Notification[Any]) -> Effect:
        payload: dict[str, Any] = notification.payload
        notification_id = notification.metadata.notification_id
        if payload.get("sleep"):
            await asyncio.sleep(float(payload["sleep"]))
        if payload.get("permanent"):
            raise PermanentError(Reason.HANDLER_REJECTED, str(payload["permanent"]))
        if payload.get("crash"):
            raise RuntimeError(str(payload["crash"]))
        if _failures[notification_id] < int(payload.get("transient_failures", 0)):
            _failures[notification_id] += 1
            raise TransientError(Reason.HANDLER_ERROR, f"planned failure {_failures[notification_id]}")

        async def apply(connection: AsyncConnection) -> None:
            await connection.execute(
                TEST_EFFECTS.insert().values(notification_id=notification_id, applied_at=datetime.now(UTC))
            )

        return Effect(apply=apply, summary="test effect")


def register(registry: Registry, context: HandlerContext) -> None:
    registry.register(TEST_TYPE, "1.0", SteeredHandler(context))
