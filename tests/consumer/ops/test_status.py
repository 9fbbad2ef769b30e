"""/status: the page of a running daemon over HTTP (both backends), the gauges read with it, what it never
shows, and the hand-over between the event loop and the HTTP thread."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import aioboto3
import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.intake.client import sqs_client
from consumer.intake.queue import Queue
from consumer.ops.health import HealthState
from consumer.ops.metrics import Metrics
from consumer.ops.status import StatusBoard, StatusSnapshot
from consumer.ops.status_page import render_status
from consumer.ops.status_refresher import DEAD_LETTER, SOURCE, StatusRefresher
from store.engine import create_engine
from store.status import BudgetInUse
from tests.fixtures.daemons import daemon_settings, running
from tests.fixtures.polling import eventually
from tests.fixtures.queues import Queues
from tests.fixtures.status_world import (
    DEAD_LETTERS_IN_QUEUE,
    GET_ORDER,
    NEVER_SHOWN,
    SELLER,
    SHOWN,
    page_text,
    seed_status_world,
)


async def _get(url: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(url, timeout=10)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_the_status_page_of_a_running_daemon(
    queues: Queues, migrated_url: str, engine: AsyncEngine
) -> None:
    await seed_status_world(engine, queues)
    async with running(daemon_settings(queues, migrated_url)) as daemon:
        base = f"http://127.0.0.1:{daemon.http_port}"
        await eventually(lambda: _get(f"{base}/readyz"), lambda r: r.status_code == 200, what="ready")
        # The page waits 2 s for the ledger's parts; on a loaded machine they may come with a later request.
        response = await eventually(
            lambda: _get(f"{base}/status"), lambda r: "Not read yet" not in r.text, what="the ledger's parts"
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        html = response.text
        text = page_text(html)
        for expected in SHOWN:
            assert expected in text, expected
        for secret in NEVER_SHOWN:
            assert secret not in html, secret
        # No asset from elsewhere: no script, no link, no image, nothing fetched.
        for tag in ("<script", "<link", "<img", "src=", "@import", "url("):
            assert tag not in html, tag
        assert "ready" in text
        assert "not ready" not in text
        assert "3" in text.split("Reconciliation", 1)[1]  # the orders the sweep found missed

        metrics = _samples((await _get(f"{base}/metrics")).text)
        dead_letter = (("queue", DEAD_LETTER), ("state", "visible"))
        assert metrics[("spapi_notify_queue_messages", dead_letter)] == DEAD_LETTERS_IN_QUEUE
        assert metrics[("spapi_notify_queue_messages", (("queue", SOURCE), ("state", "visible")))] == 0
        key = (("operation", GET_ORDER), ("seller", SELLER))
        assert metrics[("spapi_notify_rate_budget_used_ratio", key)] == 1.0
        assert 60 < metrics[("spapi_notify_rate_budget_wait_seconds", key)] <= 120
        assert metrics[("spapi_notify_ready", ())] == 1.0


async def test_parts_that_cannot_be_read_are_named_and_the_rest_is_shown(
    queues: Queues, tmp_path: Path
) -> None:
    threads_before = set(threading.enumerate())
    broken = create_engine(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db")
    board = StatusBoard()
    metrics = Metrics()
    try:
        async with sqs_client(aioboto3.Session()) as sqs:
            refresher = StatusRefresher(
                board,
                broken,
                {SOURCE: Queue(sqs, queues.url), DEAD_LETTER: Queue(sqs, queues.dlq_url)},
                metrics,
                replica="test",
            )
            snapshot = await refresher.refresh(ledger=True)
    finally:
        await broken.dispose()
        # aiosqlite stops the thread of a connection that failed to open without waiting for it: let each
        # finish while this test's event loop can still take its answer (else it fails in a later test).
        await eventually(
            lambda: _new_aiosqlite_threads(threads_before), lambda alive: not alive, what="aiosqlite threads"
        )
    assert board.latest is snapshot
    assert [problem.split(":")[0] for problem in snapshot.problems] == ["rate budget", "ledger"]
    assert snapshot.queues[DEAD_LETTER] is not None
    assert snapshot.queues[SOURCE] is not None
    text = page_text(render_status(snapshot, (True, {"checks": {}}), datetime.now(UTC)))
    assert "rate budget: OperationalError" in text
    assert "Not read yet" in text
    assert "dead-letter queue" in text


async def _new_aiosqlite_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    return [
        thread
        for thread in threading.enumerate()
        if thread not in before and "_connection_worker_thread" in thread.name
    ]


def _snapshot(seller: str = SELLER) -> StatusSnapshot:
    budget = [BudgetInUse("na", seller, GET_ORDER, 0.5, 30, 0.25, 0.0)]
    return StatusSnapshot(datetime.now(UTC), "replica-1", {}, budget, None)


def test_the_http_thread_waits_for_the_loop_and_falls_back_to_the_newest_snapshot() -> None:
    board = StatusBoard()
    assert board.fresh(timeout=0.01) is None  # nothing published, nobody answering
    first = _snapshot()
    board.publish(first)
    assert board.fresh(timeout=0.01) is first  # the loop did not answer in time: the newest is shown
    assert board.take_request() is not None
    assert board.take_request() is None

    second = _snapshot("A9SECOND")

    def refresh() -> None:  # what the refresher does when woken: take the request, then publish
        board.take_request()
        board.publish(second)

    board.attach(lambda: threading.Thread(target=refresh).start())
    assert board.fresh(timeout=10) is second  # woken by the publication, not by the timeout


def test_a_refresh_begun_before_the_page_asked_does_not_answer_it() -> None:
    """A periodic refresh (without the ledger's parts) that was under way when the page asked publishes
    first: the page waits for the refresh that took its request, not for the next publication."""
    board = StatusBoard()
    asked = threading.Event()
    board.attach(asked.set)
    shown: list[StatusSnapshot | None] = []
    page = threading.Thread(target=lambda: shown.append(board.fresh(timeout=30)))
    page.start()
    assert asked.wait(10)
    board.publish(_snapshot("A9BEGUNBEFORE"))  # the refresh under way before the request ends
    page.join(0.5)  # a bounded look for an answer that must not come
    assert page.is_alive()
    answer = _snapshot("A9ANSWER")
    assert board.take_request() is not None  # the next refresh takes the request
    board.publish(answer)
    page.join(10)
    assert shown == [answer]


def test_values_are_escaped() -> None:
    html = render_status(_snapshot("<script>alert(1)</script>"), HealthState().ready(), datetime.now(UTC))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "not ready" in page_text(html)
