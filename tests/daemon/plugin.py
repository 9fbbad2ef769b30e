"""A handler plugin for daemon tests (SPAPI_NOTIFY_PLUGINS=tests.daemon.plugin), steered by its payload.

Payload keys: ``sleep`` (seconds in prepare), ``transient_failures`` (fail this many times per notification
id in this process, then succeed), ``permanent`` (a PermanentError with this text), ``crash`` (a bug: any
other exception), ``spapi_order`` (call getOrder for this order id through the SP-API client). Every success
inserts one row into ``test_effects``, so a count per notification id shows effects applied more than once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from consumer.dispatch import Effect, Registry
from consumer.errors import PermanentError, Reason, TransientError
from consumer.notifications import Notification
from consumer.services import Services
from spapi import SellingPartner
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
    def __init__(self, services: Services) -> None:
        self.services = services

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
        if payload.get("spapi_order"):
            settings = self.services.settings
            assert settings.seller_id is not None
            assert settings.refresh_token is not None
            seller = SellingPartner(settings.seller_id, SecretStr(settings.refresh_token.get_secret_value()))
            await self.services.spapi.orders.get_order(seller, str(payload["spapi_order"]))

        async def apply(connection: AsyncConnection) -> None:
            await connection.execute(
                TEST_EFFECTS.insert().values(notification_id=notification_id, applied_at=datetime.now(UTC))
            )

        return Effect(apply=apply, summary="test effect")


def register(registry: Registry, services: Services) -> None:
    registry.register(TEST_TYPE, "1.0", SteeredHandler(services))
