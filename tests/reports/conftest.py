"""REPORT_PROCESSING_FINISHED through the real loop: moto's SQS and S3, both databases, the sandbox.

The seller of the official sample is the single-seller shortcut (SPAPI_NOTIFY_SELLER_ID + REFRESH_TOKEN); the
vendor of the other sample (``amzn1.vg.*``, no sellerId) is in the sellers table, its token encrypted with a
Fernet key.
"""

from __future__ import annotations

import copy
import gzip
import json
import time
from collections.abc import Iterator
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
from store.tables import NOTIFICATIONS, REPORTS
from store.token_cipher import TokenCipher
from tests.builders import set_ids
from tests.daemon import conftest as daemon_fixtures
from tests.daemon.conftest import Queues, daemon_settings

# ../shared/spapi-models beside the checkout: Amazon's models, as the issue names them.
MODELS = Path(__file__).resolve().parents[2].parent / "shared" / "spapi-models"
SCHEMA = "ReportProcessingFinishedNotification.json"

# The daemon tests' fixtures, re-exported to this directory.
queues = daemon_fixtures.queues
migrated_url = daemon_fixtures.migrated_url
engine = daemon_fixtures.engine

CLIENT_ID = "amzn1.application-oa2-client.report-tests"
CLIENT_SECRET = "report-tests-client-secret-DO-NOT-LOG"
SELLER_ID = "A3TH9S8BH6GOGM"  # the seller sample's sellerId
SELLER_ACCOUNT = "amzn1.merchant.o.A3TH9S8BH6GOGM"
SELLER_TOKEN = "Atzr|report-tests-shortcut-DO-NOT-LOG"
VENDOR_ID = "amzn1.vg.6213651"  # the vendor sample's accountId
VENDOR_TOKEN = "Atzr|report-tests-table-DO-NOT-LOG"

GET_REPORT = "reports_2021-06-30.getReport"
GET_REPORT_DOCUMENT = "reports_2021-06-30.getReportDocument"

# A flat-file report as Amazon produces them: a header and tab-separated rows.
TEXT = b"order-id\tsku\tquantity\tprice\n" + b"".join(
    b"114-%07d-%07d\tSKU-%05d\t%d\t%d.99\n" % (i, i * 7, i % 5000, i % 9 + 1, i % 300) for i in range(8000)
)


@cache
def _samples() -> tuple[dict[str, Any], ...]:
    schema = json.loads((MODELS / "notifications" / SCHEMA).read_text(encoding="utf-8"))
    return tuple(schema["examples"])


def sample_count() -> int:
    return len(_samples())


def sample(index: int, **report: Any) -> dict[str, Any]:
    """An official sample with a fresh notification id (the two samples share one) and ``report`` changes.

    ``report`` keys are the payload's (``reportId``, ``processingStatus``...); None removes a key.
    """
    notification = set_ids(copy.deepcopy(_samples()[index]))
    body = notification["payload"]["reportProcessingFinishedNotification"]
    for key, value in report.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return notification


def report_resource(report_id: str, document_id: str | None, status: str = "DONE") -> dict[str, Any]:
    """What getReport answers (Reports API 2021-06-30 ``Report``)."""
    report: dict[str, Any] = {
        "reportId": report_id,
        "reportType": "GET_FLAT_FILE_ACTIONABLE_ORDER_DATA",
        "processingStatus": status,
        "createdTime": "2026-11-23T09:00:00Z",
        "processingStartTime": "2026-11-23T09:00:05Z",
        "processingEndTime": "2026-11-23T09:01:00Z",
        "dataStartTime": "2026-11-22T00:00:00Z",
        "dataEndTime": "2026-11-23T00:00:00Z",
        "marketplaceIds": ["ATVPDKIKX0DER"],
    }
    if document_id is not None:
        report["reportDocumentId"] = document_id
    return report


def add_report(
    state: SandboxState,
    report_id: str,
    document_id: str,
    content: bytes,
    *,
    gzipped: bool,
    status: str = "DONE",
) -> None:
    state.add_report(report_resource(report_id, document_id, status))
    if gzipped:
        state.add_document(document_id, gzip.compress(content, compresslevel=1, mtime=0), compression="GZIP")
    else:
        state.add_document(document_id, content, compression=None)


class ShiftedClock:
    """The sandbox's clock: real time plus a shift, so a test can make URLs outlive their lifetime."""

    def __init__(self) -> None:
        self.shift = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.shift

    def advance(self, seconds: float) -> None:
        self.shift += seconds


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
def state(clock: ShiftedClock) -> SandboxState:
    return SandboxState(
        clients={CLIENT_ID: CLIENT_SECRET},
        sellers={SELLER_TOKEN: SELLER_ID, VENDOR_TOKEN: VENDOR_ID},
        clock=clock,
    )


@pytest.fixture
def sandbox(state: SandboxState) -> Iterator[SandboxServer]:
    with SandboxServer(state) as server:
        yield server


@pytest.fixture
def encryption_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def report_dir(tmp_path: Path) -> Path:
    return tmp_path / "reports"


@pytest.fixture
async def settings(
    queues: Queues,
    migrated_url: str,
    engine: AsyncEngine,
    sandbox: SandboxServer,
    encryption_key: str,
    report_dir: Path,
) -> Settings:
    """A daemon's settings on the sandbox; the vendor added to the sellers table."""
    await add_seller(
        engine,
        TokenCipher(SecretStr(encryption_key)),
        seller_id=VENDOR_ID,
        region=Region.NA,
        marketplace_ids=[],
        refresh_token=SecretStr(VENDOR_TOKEN),
    )
    return report_settings(queues, migrated_url, sandbox, encryption_key, report_dir=str(report_dir))


def report_settings(
    queues: Queues, database_url: str, server: SandboxServer, encryption_key: str, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "lwa_client_id": CLIENT_ID,
        "lwa_client_secret": CLIENT_SECRET,
        "endpoint": server.url,
        "lwa_endpoint": server.lwa_url,
        "seller_id": SELLER_ID,
        "refresh_token": SELLER_TOKEN,
        "encryption_key": encryption_key,
        "spapi_max_attempts": 2,
        "plugins": "",
    }
    values.update(overrides)
    return daemon_settings(queues, database_url, **values)


async def reports(engine: AsyncEngine) -> dict[tuple[str, str], dict[str, Any]]:
    """(report_id, account_id) -> the ``reports`` row."""
    async with engine.connect() as connection:
        rows = (await connection.execute(select(REPORTS))).mappings().all()
    return {(row["report_id"], row["account_id"]): dict(row) for row in rows}


async def ledger(engine: AsyncEngine) -> dict[str, dict[str, Any]]:
    async with engine.connect() as connection:
        rows = (await connection.execute(select(NOTIFICATIONS))).mappings().all()
    return {row["notification_id"]: dict(row) for row in rows}
