"""The outage gate on its own, with probes the test steers: a suspected failure is confirmed by one shared
probe, a confirmed outage closes the gate until a probe passes, and the metrics and readiness say so."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from consumer.daemon.backoff import Backoff
from consumer.daemon.outage import Dependency, OutageGate
from consumer.ops.health import HealthState
from consumer.ops.metrics import Metrics
from tests.fixtures.metrics import metric
from tests.fixtures.polling import eventually

QUICK = Backoff(base=0.01, maximum=0.02)


class SteeredProbe:
    """A probe that fails while ``down`` is set, counting its calls."""

    def __init__(self) -> None:
        self.down = False
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1
        await asyncio.sleep(0.01)
        if self.down:
            raise ConnectionRefusedError(111, "Connect call failed")


def probe_calls(probe: SteeredProbe) -> Callable[[], Awaitable[int]]:
    async def calls() -> int:
        return probe.calls

    return calls


def gate_with(probe: SteeredProbe) -> tuple[OutageGate, Metrics, HealthState]:
    metrics, health = Metrics(), HealthState()
    gate = OutageGate(
        {Dependency.DATABASE: probe, Dependency.SQS: probe}, metrics=metrics, health=health, backoff=QUICK
    )
    return gate, metrics, health


async def test_a_failure_with_the_database_up_is_the_message_s_own() -> None:
    probe = SteeredProbe()
    gate, metrics, _ = gate_with(probe)
    assert not await gate.confirm(Dependency.DATABASE)
    assert gate.is_open
    assert metric(metrics, "spapi_notify_outages_total", dependency="database") == 0


async def test_failures_that_come_together_share_one_probe_and_close_the_gate_until_it_passes() -> None:
    probe = SteeredProbe()
    probe.down = True
    gate, metrics, health = gate_with(probe)
    assert await asyncio.gather(*(gate.confirm(Dependency.DATABASE) for _ in range(20))) == [True] * 20
    assert probe.calls == 1
    assert not gate.is_open
    assert gate.is_down(Dependency.DATABASE)
    assert metric(metrics, "spapi_notify_receiving_paused", dependency="database") == 1
    assert metric(metrics, "spapi_notify_outages_total", dependency="database") == 1
    assert health.ready()[1]["errors"]["database"].startswith("ConnectionRefusedError")
    assert await gate.confirm(Dependency.DATABASE)  # known down: no probe needed
    waiter = asyncio.create_task(gate.wait_open())
    await eventually(probe_calls(probe), lambda calls: calls >= 3, what="the recovery task keeps probing")
    assert not waiter.done()
    probe.down = False
    await asyncio.wait_for(waiter, timeout=5)
    assert gate.is_open
    assert metric(metrics, "spapi_notify_receiving_paused", dependency="database") == 0
    assert "database" not in health.ready()[1]["errors"]
    await gate.close()


async def test_the_gate_opens_only_when_every_dependency_is_back() -> None:
    database, sqs = SteeredProbe(), SteeredProbe()
    metrics, health = Metrics(), HealthState()
    gate = OutageGate(
        {Dependency.DATABASE: database, Dependency.SQS: sqs}, metrics=metrics, health=health, backoff=QUICK
    )
    database.down = sqs.down = True
    gate.trip(Dependency.SQS, "EndpointConnectionError")
    assert await gate.confirm(Dependency.DATABASE)
    sqs.down = False

    async def sqs_down() -> bool:
        return gate.is_down(Dependency.SQS)

    await eventually(sqs_down, lambda down: not down, what="SQS back")
    assert not gate.is_open  # the database is still down
    database.down = False
    await asyncio.wait_for(gate.wait_open(), timeout=5)
    assert metric(metrics, "spapi_notify_outages_total", dependency="sqs") == 1
    await gate.close()
