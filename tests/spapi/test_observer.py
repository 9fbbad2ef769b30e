"""The client tells its observer about every attempt: the wait for its rate-limit slot and the answer, 429s
and transport errors included; the daemon's observer turns them into spapi_notify_spapi_* metrics."""

from __future__ import annotations

import pytest

from consumer.ops.metrics import Metrics
from consumer.ops.spapi_metrics import SpApiMetrics
from spapi import SellingPartner, SpApiClient
from spapi.errors import ClientError
from spapi.model_catalog import UsagePlan
from spapi.regions import Region
from spapi.sandbox import SandboxServer
from tests.fixtures.metrics import metric
from tests.fixtures.spapi_config import make_config

GET_ORDER = "orders_2026-01-01.getOrder"
ORDER_ID = "171-9876543-2109876"


async def test_every_attempt_is_counted_by_operation_and_status(
    sandbox: SandboxServer, seller: SellingPartner
) -> None:
    metrics = Metrics()
    # A fast plan, so that the 429s' push of the key's next slot costs milliseconds.
    sandbox.state.set_rate_limit(GET_ORDER, 100.0, 10)
    config = make_config(sandbox, rate_limit_overrides={GET_ORDER: UsagePlan(100.0, 10)})
    sandbox.state.inject(GET_ORDER, 429, times=2)
    async with SpApiClient(config, observer=SpApiMetrics(metrics)) as client:
        await client.orders.get_order(seller, ORDER_ID)
        sandbox.state.inject(GET_ORDER, 404, times=1)
        with pytest.raises(ClientError):
            await client.orders.get_order(seller, ORDER_ID)
        sandbox.state.drop_connection(GET_ORDER, times=1)
        await client.orders.get_order(seller, ORDER_ID)
        # A regional client shares the observer.
        assert client.for_region(Region.EU).observer is client.observer

    calls = {
        status: metric(metrics, "spapi_notify_spapi_calls_total", operation=GET_ORDER, status=status)
        for status in ("200", "429", "404", "error")
    }
    assert calls == {"200": 2.0, "429": 2.0, "404": 1.0, "error": 1.0}
    assert metric(metrics, "spapi_notify_spapi_wait_seconds_count", operation=GET_ORDER) == 6
    assert metric(metrics, "spapi_notify_spapi_call_duration_seconds_count", operation=GET_ORDER) == 6
