"""The handlers through the real loop: moto's SQS, both databases, the SP-API sandbox over HTTP, two sellers.

The ORDER_CHANGE sample's seller is the single-seller shortcut (SPAPI_NOTIFY_SELLER_ID + REFRESH_TOKEN); the
LISTINGS_ITEM_STATUS_CHANGE sample's seller is in the sellers table, its token encrypted with a Fernet key.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.settings import Settings
from spapi.regions import Region
from spapi.sandbox import SandboxServer, SandboxState
from store.sellers import add_seller
from store.tables import LISTINGS_ITEMS, NOTIFICATIONS, ORDER_ITEMS, ORDERS
from store.token_cipher import TokenCipher
from tests.daemon import conftest as daemon_fixtures
from tests.daemon.conftest import Queues, daemon_settings, drain

# The daemon tests' fixtures, for this directory too.
queues = daemon_fixtures.queues
migrated_url = daemon_fixtures.migrated_url
engine = daemon_fixtures.engine

# ../shared/spapi-models beside the checkout: Amazon's models, as the issue names them.
MODELS = Path(__file__).resolve().parents[2] / ".." / "shared" / "spapi-models"

CLIENT_ID = "amzn1.application-oa2-client.handler-tests"
CLIENT_SECRET = "handler-tests-client-secret"
ORDER_SELLER = "A3TH9S8BH6GOGM"  # OrderChangeNotification.json's example
ORDER_SELLER_TOKEN = "Atzr|handler-tests-shortcut"
LISTING_SELLER = "A3AYAZLIQ7AX77"  # ListingsItemStatusChangeNotification.json's example
LISTING_SELLER_TOKEN = "Atzr|handler-tests-table"
LISTING_MARKETPLACE = "ATVPDKIKX0DER"


@cache
def _samples(schema_file: str) -> tuple[dict[str, Any], ...]:
    schema = json.loads((MODELS / "notifications" / schema_file).read_text(encoding="utf-8"))
    return tuple(schema["examples"])


def sample(schema_file: str, index: int = 0) -> dict[str, Any]:
    """A deep copy of an official sample notification from ../shared/spapi-models/notifications."""
    return copy.deepcopy(_samples(schema_file)[index])


def sample_count(schema_file: str) -> int:
    return len(_samples(schema_file))


@pytest.fixture
def sandbox() -> Iterator[tuple[SandboxServer, SandboxState]]:
    state = SandboxState(
        clients={CLIENT_ID: CLIENT_SECRET},
        sellers={ORDER_SELLER_TOKEN: ORDER_SELLER, LISTING_SELLER_TOKEN: LISTING_SELLER},
    )
    with SandboxServer(state) as server:
        yield server, state


@pytest.fixture
def state(sandbox: tuple[SandboxServer, SandboxState]) -> SandboxState:
    return sandbox[1]


@pytest.fixture
def encryption_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
async def settings(
    queues: Queues,
    migrated_url: str,
    engine: AsyncEngine,
    sandbox: tuple[SandboxServer, SandboxState],
    encryption_key: str,
) -> Settings:
    """A daemon's settings on the sandbox; the listing seller added to the sellers table."""
    server, _ = sandbox
    await add_seller(
        engine,
        TokenCipher(SecretStr(encryption_key)),
        seller_id=LISTING_SELLER,
        region=Region.NA,
        marketplace_ids=[LISTING_MARKETPLACE],
        refresh_token=SecretStr(LISTING_SELLER_TOKEN),
    )
    return handler_settings(queues, migrated_url, server, encryption_key)


def handler_settings(
    queues: Queues, database_url: str, server: SandboxServer, encryption_key: str, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "lwa_client_id": CLIENT_ID,
        "lwa_client_secret": CLIENT_SECRET,
        "endpoint": server.url,
        "lwa_endpoint": server.lwa_url,
        "seller_id": ORDER_SELLER,
        "refresh_token": ORDER_SELLER_TOKEN,
        "encryption_key": encryption_key,
        "order_coalesce_seconds": 0.3,
        "spapi_max_attempts": 2,
        "plugins": "",
    }
    values.update(overrides)
    return daemon_settings(queues, database_url, **values)


async def rows(engine: AsyncEngine, table: Any) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        result = await connection.execute(select(table))
        return [dict(row._mapping) for row in result]


async def orders(engine: AsyncEngine) -> dict[str, dict[str, Any]]:
    return {row["amazon_order_id"]: row for row in await rows(engine, ORDERS)}


async def order_items(engine: AsyncEngine) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["amazon_order_id"], r["order_item_id"]): r for r in await rows(engine, ORDER_ITEMS)}


async def listings(engine: AsyncEngine) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(r["seller_id"], r["sku"], r["marketplace_id"]): r for r in await rows(engine, LISTINGS_ITEMS)}


async def ledger_rows(engine: AsyncEngine) -> dict[str, dict[str, Any]]:
    return {row["notification_id"]: row for row in await rows(engine, NOTIFICATIONS)}


def dead_letters(queues: Queues) -> Callable[[], Awaitable[list[dict[str, Any]]]]:
    """A probe for ``eventually``: every DLQ message so far (a drained message stays hidden, so keep them)."""
    found: list[dict[str, Any]] = []

    async def probe() -> list[dict[str, Any]]:
        found.extend(await drain(queues.dlq_url))
        return found

    return probe
