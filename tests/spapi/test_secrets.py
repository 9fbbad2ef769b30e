"""No secret, token or presigned URL in any log line, exception text or repr."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog

from consumer.ops.log_config import configure_logging
from spapi import GRANTLESS, SellingPartner, SpApiClient
from spapi.errors import SpApiError
from spapi.sandbox import SandboxServer
from tests.fixtures.spapi_config import SECRETS, make_config


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("debug", "json")
    logging.getLogger("aiohttp").setLevel(logging.DEBUG)  # even at debug, aiohttp must not leak secrets
    yield capsys
    structlog.reset_defaults()
    root.handlers[:], level = saved
    root.setLevel(level)


async def test_nothing_secret_is_logged_or_raised(
    sandbox: SandboxServer,
    seller: SellingPartner,
    vendor: SellingPartner,
    json_logs: pytest.CaptureFixture[str],
) -> None:
    sandbox.state.add_document("doc-s", b"report-body", compression=None)
    texts: list[str] = []
    async with SpApiClient(make_config(sandbox, max_attempts=2)) as client:
        texts.append(repr(client) + repr(client.lwa) + repr(client.config) + str(client.config))
        await client.orders.get_order(seller, "171-9876543-2109876", included_data=["BUYER"])
        await client.notifications.get_destinations()
        await client.reports.download_document(vendor, "doc-s", _discard)
        sandbox.state.inject("orders_2026-01-01.getOrder", 503, times=5)
        with pytest.raises(SpApiError) as server_error:
            await client.orders.get_order(seller, "171-9876543-2109876")
        texts.append(str(server_error.value) + repr(server_error.value))
        sandbox.state.revoke(seller.refresh_token.get_secret_value())
        client.lwa.invalidate(seller)
        with pytest.raises(SpApiError) as lwa_error:
            await client.orders.get_order(seller, "171-9876543-2109876")
        texts.append(str(lwa_error.value) + repr(lwa_error.value))
        doc = await client.reports.get_report_document(vendor, "doc-s")
        texts.append(repr(doc.data))
        presigned = doc.data.url
    captured = json_logs.readouterr()
    texts += [captured.out, captured.err]
    assert "spapi.request" in captured.err  # the logs were really captured
    access_tokens = {r.headers.get("x-amz-access-token", "") for r in sandbox.state.requests} - {""}
    assert access_tokens
    everything = "\n".join(texts)
    for secret in (*SECRETS, *access_tokens, presigned.split("?")[1]):
        assert secret not in everything
    assert repr(GRANTLESS)


async def _discard(_: bytes) -> None:
    return None
