"""The fleet's one rate budget and one getOrder per change, measured across OS processes.

Everything runs against the offline SP-API sandbox (a thread of this process), SQS on a moto server (its own
process) and one PostgreSQL database (a throwaway cluster; with --quick, the server at
SPAPI_NOTIFY_TEST_POSTGRES_URL when that is set). Daemons are ``spapi-notify run`` processes; commands are
``spapi-notify`` processes. Time is scaled: getOrder's documented plan (0.5 requests/s, burst 30) runs ten
times faster (``--scale``: 5/s, burst 30). The sandbox enforces the scaled plan as an exact token bucket (no
arrival jitter forgiven); the daemons start from the model's 0.5/s and learn the rate from
x-amzn-RateLimit-Limit. Before each run of stage a the fleet handles one order outside the measurement, so
it runs at the learned rate as a fleet in production does (where the model's plan is Amazon's own and there
is nothing to learn): a cold start would add a one-time delay of up to a second (replicas that did not hear
the new rate themselves pick it up from the database within Pacer's REFRESH_SECONDS), which the scaling
makes ten times as large a share of the run.

a. One seller's backlog of ORDER_CHANGE notifications for distinct orders, drained by 1 replica, then by
   ``--replicas`` (4) replicas on one queue and one database: getOrder 429s (bar: 0), achieved rate /
   allowed rate (achieved as in bench.ratelimit: the calls beyond the burst over the time from the first
   call to the last; bar: >= 0.9) and drain time (first message sent to last one processed).
b. The replicas on 300 notifications over 30 orders, each order's changes a burst, bursts interleaved (as
   bench.coalesce builds them): getOrder calls per changed order (bar: <= 1.1), every order final.
c. ``spapi-notify subscriptions plan``, ``apply``, ``apply`` back to back, for 20 sellers x 3 types against
   the Notifications API's plan (rate 1, burst 5 per seller and operation, grantless calls too): 429s
   (bar: 0).
d. One reservation on PostgreSQL: DatabaseBudget.reserve's median and p99, sequential (concurrency 1), then
   8 callers at once on one key.
e. Fairness under a per-application cap: getListingsItem with an application-wide limit (sandbox and the
   Pacer's application_plans set alike) below one seller's own; one heavy seller (1,000 calls) beside 10
   light sellers (10 calls each), all issued at once in random order, against the light sellers alone:
   their p95 wait (from asking to the call's answer) and the ratio. No fixed bar.

With --quick, every stage with a few calls (2 replicas): the bars are printed but not enforced; the exit
status is 0 unless something broke (a command failing, an order not stored in its final state).

    .venv/bin/python -m bench.fleet [--scale 10] [--replicas 4] [--backlog 120] [--sellers 20]
                                    [--heavy 1000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
from pydantic import SecretStr
from sqlalchemy import func, select

from bench import bar_verdict, parse_args
from bench.consumer import (
    _answers,
    _client_args,
    _processed,
    free_port,
    make_queues,
    moto_process,
    wait_for,
)
from bench.order_changes import iso, order_change
from consumer.ops.log_config import configure_logging
from spapi import Region, SellingPartner, SpApiClient, SpApiConfig
from spapi.model_catalog import UsagePlan
from spapi.pacing import DEFAULT_HEADROOM, Pacer, Reservation
from spapi.sandbox import SandboxServer, SandboxState
from spapi.sandbox.catalog import GET_LISTINGS_ITEM, GET_ORDER, example_order, put_order
from spapi.sandbox.responders import SandboxRequest, SandboxResponse
from store.engine import create_engine
from store.migrate import upgrade
from store.rate_budget import DatabaseBudget
from store.sellers import add_seller
from store.tables import ORDERS
from store.token_cipher import TokenCipher
from tests.fixtures.moto_server import aws_env
from tests.fixtures.postgres import (
    EXTERNAL_URL_ENV,
    PostgresServer,
    server_bindir,
    temporary_database,
    throwaway_cluster,
    wait_until_accepting,
)

APP_ID = "amzn1.sellerapps.app.bench-fleet"
CLIENT_ID = "amzn1.application-oa2-client.bench-fleet"
CLIENT_SECRET = "bench-fleet-client-secret"  # the sandbox's, not a real one
MARKETPLACE = "ATVPDKIKX0DER"
GET_ORDER_PLAN = UsagePlan(rate=0.5, burst=30)  # Orders API 2026-01-01 getOrder, as documented
STATUSES = ["PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED"]
FINAL = STATUSES[-1]
FEED_AHEAD = 60  # messages waiting in the queue before a feeder pauses: moto slows down as queues deepen
DRAIN_DEADLINE = 600.0


def _seller(name: str) -> tuple[str, str]:
    """A seller id and its refresh token (the sandbox's)."""
    seller_id = f"A{name.upper()}FLEET"
    return seller_id, f"Atzr|bench-fleet-{name}"


def p95(values: Sequence[float]) -> float:
    """The 95th percentile (inclusive method: a value between two samples when it falls between them)."""
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def p99(values: Sequence[float]) -> float:
    """The 99th percentile (inclusive method)."""
    return statistics.quantiles(values, n=100, method="inclusive")[-1] if len(values) > 1 else values[0]


@dataclass
class Outcome:
    """What the run found: whether every enforced bar was met, and what broke (fails even a quick run)."""

    bars_met: bool = True
    broken: list[str] = field(default_factory=list)

    def bar(self, label: str, met: bool, quick: bool) -> None:
        self.bars_met = self.bars_met and met
        print(f"  bar ({label}):", bar_verdict(met, quick))

    def fail(self, problem: str) -> None:
        self.broken.append(problem)
        print(f"  FAILED: {problem}")


# --- the database ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres(external: str | None) -> Iterator[PostgresServer]:
    """The PostgreSQL server: ``external`` when given, else a throwaway cluster."""
    if external:
        server = PostgresServer.from_url(external)
        wait_until_accepting(server, timeout=10)
        yield server
        return
    with throwaway_cluster(server_bindir()) as server:
        yield server


@contextlib.contextmanager
def fresh_database(server: PostgresServer) -> Iterator[str]:
    """The SQLAlchemy URL of a new database on ``server``, dropped on exit."""
    with temporary_database(server, prefix="spapi_bench_fleet") as name:
        yield server.url(name)


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _add_sellers(url: str, key: str, sellers: Sequence[tuple[str, str]]) -> None:
    """Sellers into the sellers table, as ``spapi-notify sellers add`` puts them."""
    engine = create_engine(url)
    cipher = TokenCipher(SecretStr(key))
    try:
        for seller_id, token in sellers:
            await add_seller(
                engine,
                cipher,
                seller_id=seller_id,
                region=Region.NA,
                marketplace_ids=[MARKETPLACE],
                refresh_token=SecretStr(token),
            )
    finally:
        await engine.dispose()


async def _stored_orders(url: str, seller_id: str, prefix: str) -> tuple[int, int]:
    """The seller's orders whose ids start with ``prefix`` in the table, and how many of them are not in
    their final status."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            mine = (ORDERS.c.seller_id == seller_id) & ORDERS.c.amazon_order_id.startswith(prefix)
            stored = await connection.scalar(select(func.count()).where(mine))
            stale = await connection.scalar(select(func.count()).where(mine, ORDERS.c.order_status != FINAL))
    finally:
        await engine.dispose()
    return int(stored or 0), int(stale or 0)


# --- the fleet of daemons -------------------------------------------------------------------------------


def _clean_env() -> dict[str, str]:
    """This process's environment without settings of ours or AWS's (a bench sets its own)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("SPAPI_NOTIFY_", "AWS_"))}


@dataclass
class Fleet:
    """``spapi-notify run`` processes on one queue and one database, with the sellers table's sellers."""

    endpoint: str
    queue_url: str
    database_url: str
    server: SandboxServer
    key: str
    daemons: list[tuple[subprocess.Popen[bytes], int]] = field(default_factory=list)

    def env(self, port: int) -> dict[str, str]:
        return {
            **_clean_env(),
            **aws_env(self.endpoint),
            "SPAPI_NOTIFY_QUEUE_URL": self.queue_url,
            "SPAPI_NOTIFY_DATABASE_URL": self.database_url,
            "SPAPI_NOTIFY_APPLICATION_ID": APP_ID,
            "SPAPI_NOTIFY_LWA_CLIENT_ID": CLIENT_ID,
            "SPAPI_NOTIFY_LWA_CLIENT_SECRET": CLIENT_SECRET,
            "SPAPI_NOTIFY_ENDPOINT": self.server.url,
            "SPAPI_NOTIFY_LWA_ENDPOINT": self.server.lwa_url,
            "SPAPI_NOTIFY_ENCRYPTION_KEY": self.key,
            # A backlog queues behind getOrder's rate; a long wait for a slot is not a failure here.
            "SPAPI_NOTIFY_RATE_LIMIT_MAX_WAIT": "900",
            "SPAPI_NOTIFY_HANDLER_TIMEOUT": "1200",
            "SPAPI_NOTIFY_RECEIVE_WAIT_SECONDS": "1",
            "SPAPI_NOTIFY_METRICS_PORT": str(port),
            "SPAPI_NOTIFY_METRICS_HOST": "127.0.0.1",
            "SPAPI_NOTIFY_LOG_LEVEL": "warning",
            # Sweeps (searchOrders) are not what this bench measures.
            "SPAPI_NOTIFY_RECONCILE_INTERVAL": "0",
        }

    def spawn(self, replicas: int) -> None:
        """Start ``replicas`` daemons, all at once, without waiting for them (see ``ready``)."""
        for _ in range(replicas):
            port = free_port()
            command = [sys.executable, "-m", "consumer", "run"]
            process = subprocess.Popen(command, env=self.env(port), cwd=tempfile.gettempdir())
            self.daemons.append((process, port))

    def ready(self) -> None:
        """Returns when every daemon is ready."""
        for process, port in self.daemons:
            url = f"http://127.0.0.1:{port}/readyz"
            wait_for(lambda: process.poll() is not None or _answers(url), 60, "daemon ready")  # noqa: B023
            if process.poll() is not None:
                raise SystemExit(f"a daemon exited with {process.returncode}")

    def processed(self) -> int:
        """Notifications settled by the fleet so far (processed or ignored)."""
        return sum(_processed(port) for _, port in self.daemons)

    def stop(self) -> None:
        """SIGTERM to every daemon at once; each must exit 0."""
        for process, _ in self.daemons:
            process.send_signal(signal.SIGTERM)
        for process, _ in self.daemons:
            if process.wait(60) != 0:
                raise SystemExit(f"a daemon exited with {process.returncode}")
        self.daemons.clear()


Change = tuple[str, str]  # an order id and its new status


class Feeder(threading.Thread):
    """Makes each change in the sandbox (the order's lastUpdatedTime becomes the notification's EventTime),
    then notifies it, ten at a time, in the given order. Before each round it waits while the queue holds
    FEED_AHEAD messages; a round goes out whole: its changes first, then its notifications."""

    def __init__(
        self, sqs: Any, queue_url: str, state: SandboxState, seller_id: str, rounds: list[list[Change]]
    ) -> None:
        super().__init__(daemon=True)
        self.sqs, self.queue_url, self.state = sqs, queue_url, state
        self.seller_id, self.rounds = seller_id, rounds
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for changes in self.rounds:
                self._wait_for_room()
                # A burst's changes are made moments apart, and then notified (as bench.coalesce does).
                bodies = [self._change(order_id, status) for order_id, status in changes]
                for offset in range(0, len(bodies), 10):
                    entries = [
                        {"Id": str(i), "MessageBody": body}
                        for i, body in enumerate(bodies[offset : offset + 10])
                    ]
                    self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        except BaseException as exc:
            self.error = exc

    def _change(self, order_id: str, status: str) -> str:
        now = datetime.now(UTC)
        order = example_order(
            order_id,
            last_updated_time=iso(now),
            fulfillment_status=status,
            createdTime="2026-11-23T10:00:00Z",
        )
        put_order(self.state, order)
        return order_change(
            self.seller_id, order_id, now, status, application_id=APP_ID, subscription_id="sub-bench-fleet"
        )

    def _wait_for_room(self) -> None:
        while True:
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            if int(attributes["ApproximateNumberOfMessages"]) < FEED_AHEAD:
                return
            time.sleep(0.05)


class CallLog:
    """When the sandbox admitted each call of an operation, and for which path parameters (a responder that
    answers nothing, so the sandbox's own answer goes out)."""

    def __init__(self, state: SandboxState, op_key: str) -> None:
        self.calls: list[tuple[float, dict[str, str]]] = []
        state.on(op_key, self._record)

    def _record(self, request: SandboxRequest) -> SandboxResponse | None:
        self.calls.append((time.perf_counter(), dict(request.path_params)))
        return None

    def since(self, index: int) -> list[float]:
        """The times of the calls after the first ``index``."""
        return [when for when, _ in self.calls[index:]]


@dataclass(frozen=True)
class Drain:
    """A drained backlog: getOrder calls and 429s, the calls' span, the drain time."""

    notifications: int
    calls: int
    throttled: int
    call_seconds: float
    drain_seconds: float
    rate: float
    burst: int

    @property
    def achieved(self) -> float:
        # The burst is free; every further call costs 1/rate at best (bench.ratelimit's definition).
        return (self.calls - self.burst) / self.call_seconds if self.call_seconds > 0 else 0.0

    @property
    def ratio(self) -> float:
        return self.achieved / self.rate


def drain(
    fleet: Fleet,
    sqs: Any,
    state: SandboxState,
    log: CallLog,
    seller_id: str,
    rounds: list[list[Change]],
    rate: float,
    quick: bool,
) -> Drain:
    """Feed the rounds of changes and wait until the fleet has settled every one of them."""
    total = sum(len(changes) for changes in rounds)
    settled_before = fleet.processed()
    throttled_before = state.throttled[GET_ORDER]
    calls_before = len(log.calls)
    started = time.perf_counter()
    feeder = Feeder(sqs, fleet.queue_url, state, seller_id, rounds)
    feeder.start()
    wait_for(
        lambda: feeder.error is not None or fleet.processed() - settled_before >= total,
        120 if quick else DRAIN_DEADLINE,
        f"{total} notifications processed",
        interval=0.1,
    )
    drained = time.perf_counter() - started
    times = log.since(calls_before)
    if feeder.error is not None:
        raise SystemExit(f"feeder failed: {feeder.error!r}")
    return Drain(
        notifications=total,
        calls=len(times),
        throttled=state.throttled[GET_ORDER] - throttled_before,
        call_seconds=times[-1] - times[0] if times else 0.0,
        drain_seconds=drained,
        rate=rate,
        burst=GET_ORDER_PLAN.burst,
    )


def bursts(orders: int, per_order: int, interleave: int, rng: random.Random) -> list[list[Change]]:
    """Rounds of ``interleave`` orders whose bursts are shuffled together, each order's changes in order;
    an order's statuses spread over its changes, its last one always the final status."""
    order_ids = [f"114-{i:07d}-{rng.randrange(10**7):07d}" for i in range(orders)]
    rounds: list[list[Change]] = []
    for start in range(0, orders, interleave):
        changes: list[Change] = []
        round_ = [
            (order_id, n) for order_id in order_ids[start : start + interleave] for n in range(per_order)
        ]
        rng.shuffle(round_)
        round_.sort(key=lambda change: change[1] + rng.random())
        for order_id, n in round_:
            position = n / (per_order - 1) if per_order > 1 else 1.0
            changes.append((order_id, STATUSES[round(position * (len(STATUSES) - 1))]))
        rounds.append(changes)
    return rounds


def fleet_stages(
    args: argparse.Namespace, server: PostgresServer, outcome: Outcome, stages: set[str]
) -> None:
    """Stages a and b."""
    rate = GET_ORDER_PLAN.rate * args.scale
    sellers = {name: _seller(name) for name in ("one", "many", "bursts")}
    state = SandboxState(
        clients={CLIENT_ID: CLIENT_SECRET},
        sellers={token: seller_id for seller_id, token in sellers.values()},
        rate_limit_tolerance=0.0,
        record_limit=2000,
    )
    state.set_rate_limit(GET_ORDER, rate=rate, burst=GET_ORDER_PLAN.burst)
    log = CallLog(state, GET_ORDER)
    key = TokenCipher.generate_key()
    rng = random.Random(12)
    with (
        moto_process() as endpoint,
        SandboxServer(state) as sandbox,
        fresh_database(server) as database_url,
    ):
        asyncio.run(_migrate(database_url))
        asyncio.run(_add_sellers(database_url, key, list(sellers.values())))
        sqs = boto3.client("sqs", **_client_args(endpoint))
        # One replica on a queue of its own, the others on another. A quick run starts them while the one
        # works; a full one after, so that their start-up takes no CPU from the one being measured.
        one = Fleet(endpoint, make_queues(sqs), database_url, sandbox, key)
        many = Fleet(endpoint, make_queues(sqs), database_url, sandbox, key)
        try:
            if "a" in stages:
                one.spawn(1)
                one.ready()
            if args.quick or "a" not in stages:
                many.spawn(args.replicas)
            if "a" in stages:
                print(
                    f"a. getOrder at {rate:g}/s burst {GET_ORDER_PLAN.burst} (the documented 0.5/s "
                    f"x{args.scale:g}), {args.backlog} distinct orders of one seller per run, PostgreSQL"
                )
                for fleet, name in ((one, "one"), (many, "many")):
                    fleet.ready()
                    _backlog_run(args, fleet, sqs, state, log, sellers[name][0], rate, rng, outcome)
                    if fleet is one:
                        one.stop()
                        if not many.daemons:
                            many.spawn(args.replicas)
            if "b" in stages:
                many.ready()
                _bursts_run(args, many, sqs, state, log, sellers["bursts"][0], rate, rng, outcome)
        finally:
            one.stop()
            many.stop()


def _backlog_run(
    args: argparse.Namespace,
    fleet: Fleet,
    sqs: Any,
    state: SandboxState,
    log: CallLog,
    seller_id: str,
    rate: float,
    rng: random.Random,
    outcome: Outcome,
) -> None:
    """Stage a's run on ``fleet``."""
    if not args.quick:
        # A running fleet knows Amazon's rate: one order first, outside the measurement, so the scaled rate
        # is learned from the header before the backlog comes (see the docstring).
        warm = [[(f"112-0000000-{rng.randrange(10**7):07d}", FINAL)]]
        drain(fleet, sqs, state, log, seller_id, warm, rate, args.quick)
        time.sleep(2 / rate)  # the bucket is full again when the backlog comes
    changes = [(f"113-{i:07d}-{rng.randrange(10**7):07d}", FINAL) for i in range(args.backlog)]
    rounds = [changes[start : start + 10] for start in range(0, len(changes), 10)]
    result = drain(fleet, sqs, state, log, seller_id, rounds, rate, args.quick)
    stored, stale = asyncio.run(_stored_orders(fleet.database_url, seller_id, "113-"))
    replicas = len(fleet.daemons)
    print(
        f"  {replicas} replica(s): getOrder calls={result.calls} 429s={result.throttled} "
        f"achieved={result.achieved:.2f}/s allowed={result.rate:g}/s ratio={result.ratio:.3f} "
        f"drain={result.drain_seconds:.1f}s (calls spread over {result.call_seconds:.1f}s; "
        f"orders stored={stored}, not final={stale})"
    )
    outcome.bar(
        f"{replicas} replica(s): 0 429s, ratio >= 0.9",
        result.throttled == 0 and result.ratio >= 0.9,
        args.quick,
    )
    if stored != args.backlog or stale:
        outcome.fail(f"{args.backlog - stored} orders missing, {stale} not final")


def _bursts_run(
    args: argparse.Namespace,
    fleet: Fleet,
    sqs: Any,
    state: SandboxState,
    log: CallLog,
    seller_id: str,
    rate: float,
    rng: random.Random,
    outcome: Outcome,
) -> None:
    """Stage b, on ``fleet``."""
    rounds = bursts(args.orders, args.per_order, 3, rng)
    print(
        f"b. {len(fleet.daemons)} replicas, {sum(map(len, rounds))} ORDER_CHANGE notifications over "
        f"{args.orders} orders (bursts of {args.per_order}, 3 orders interleaved), PostgreSQL"
    )
    result = drain(fleet, sqs, state, log, seller_id, rounds, rate, args.quick)
    stored, stale = asyncio.run(_stored_orders(fleet.database_url, seller_id, "114-"))
    per_order = result.calls / args.orders
    print(
        f"  getOrder calls={result.calls} per changed order={per_order:.2f} 429s={result.throttled} "
        f"drain={result.drain_seconds:.1f}s (orders stored={stored}, not final={stale})"
    )
    outcome.bar(
        "calls per changed order <= 1.1, 0 429s", per_order <= 1.1 and result.throttled == 0, args.quick
    )
    if stored != args.orders or stale:
        outcome.fail(f"{args.orders - stored} orders missing, {stale} not final")


# --- c. subscriptions commands back to back -------------------------------------------------------------

SUBSCRIPTIONS = """
[destinations.main]
sqs_arn = "arn:aws:sqs:us-east-1:123456789012:spapi-notify"

[[subscriptions]]
sellers = "all"
destination = "main"

  [[subscriptions.types]]
  type = "ORDER_CHANGE"
  payload_version = "1.0"

  [[subscriptions.types]]
  type = "REPORT_PROCESSING_FINISHED"
  payload_version = "2020-09-04"

  [[subscriptions.types]]
  type = "LISTINGS_ITEM_STATUS_CHANGE"
  payload_version = "1.0"
"""


def subscriptions_stage(args: argparse.Namespace, server: PostgresServer, outcome: Outcome) -> None:
    """Stage c."""
    sellers = [_seller(f"sub{i:03d}") for i in range(args.sellers)]
    state = SandboxState(
        clients={CLIENT_ID: CLIENT_SECRET},
        sellers={token: seller_id for seller_id, token in sellers},
        rate_limit_tolerance=0.0,
    )
    state.notifications.strict = True
    key = TokenCipher.generate_key()
    with (
        SandboxServer(state) as sandbox,
        fresh_database(server) as database_url,
        tempfile.TemporaryDirectory() as directory,
    ):
        asyncio.run(_migrate(database_url))
        asyncio.run(_add_sellers(database_url, key, sellers))
        config = Path(directory) / "subscriptions.toml"
        config.write_text(SUBSCRIPTIONS)
        env = {
            **_clean_env(),
            "SPAPI_NOTIFY_LWA_CLIENT_ID": CLIENT_ID,
            "SPAPI_NOTIFY_LWA_CLIENT_SECRET": CLIENT_SECRET,
            "SPAPI_NOTIFY_ENDPOINT": sandbox.url,
            "SPAPI_NOTIFY_LWA_ENDPOINT": sandbox.lwa_url,
            "SPAPI_NOTIFY_DATABASE_URL": database_url,
            "SPAPI_NOTIFY_ENCRYPTION_KEY": key,
            "SPAPI_NOTIFY_LOG_LEVEL": "warning",
        }
        print(
            f"c. subscriptions plan, apply, apply back to back: {args.sellers} sellers x 3 types, "
            "Notifications API at rate 1, burst 5 per seller and operation"
        )
        runs = []
        started = time.perf_counter()
        for command in ("plan", "apply", "apply"):
            began = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "consumer", "subscriptions", command, "--config", str(config)],
                env=env,
                cwd=directory,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            runs.append((command, done, time.perf_counter() - began))
        seconds = time.perf_counter() - started
    throttled = sum(state.throttled.values())
    created = state.calls["notifications.createSubscription"]
    print(
        "  "
        + ", ".join(f"{command} exit {done.returncode} {took:.1f}s" for command, done, took in runs)
        + f"; {seconds:.1f}s in all"
    )
    print(
        f"  subscriptions created={created} (of {args.sellers * 3}) calls={sum(state.calls.values())} "
        f"429s={throttled}"
    )
    outcome.bar("0 429s", throttled == 0, args.quick)
    for command, done, _ in runs:
        if done.returncode != 0:
            outcome.fail(f"subscriptions {command}: {done.stderr.strip()[-400:]}")
    second = runs[2][1].stdout.strip()
    if not second.startswith("no changes"):
        outcome.fail(f"the second apply changed something: {second[-400:]}")
    if created != args.sellers * 3:
        outcome.fail(f"{created} subscriptions created, not {args.sellers * 3}")


# --- d. the cost of one reservation ---------------------------------------------------------------------


async def _reserve_times(url: str, calls: int, concurrency: int) -> list[float]:
    engine = create_engine(url)
    budget = DatabaseBudget(engine)
    interval, tolerance = DEFAULT_HEADROOM.pace(UsagePlan(rate=1000.0, burst=10))
    reservation = Reservation(f"bench|{uuid.uuid4().hex}", interval, tolerance, 1000.0, 10)
    times: list[float] = []

    async def caller(count: int) -> None:
        for _ in range(count):
            began = time.perf_counter()
            await budget.reserve(reservation, None)
            times.append(time.perf_counter() - began)

    try:
        await budget.reserve(reservation, None)  # the connection and the prepared statement are warm
        await asyncio.gather(*(caller(calls // concurrency) for _ in range(concurrency)))
    finally:
        await engine.dispose()
    return times


def reservation_stage(args: argparse.Namespace, url: str) -> None:
    """Stage d: milliseconds per DatabaseBudget.reserve on PostgreSQL (the migrated database at ``url``)."""
    print(f"d. DatabaseBudget.reserve on PostgreSQL, {args.reservations} calls on one key:")
    for concurrency in (1, 8):
        times = asyncio.run(_reserve_times(url, args.reservations, concurrency))
        print(
            f"  concurrency {concurrency}: median={1000 * statistics.median(times):.2f} ms "
            f"p99={1000 * p99(times):.2f} ms"
        )


# --- e. fairness under a per-application cap ------------------------------------------------------------


@dataclass(frozen=True)
class Fairness:
    """The seconds from asking to the answer of every light and heavy call, and the run's."""

    light: list[float]
    heavy: list[float]
    seconds: float


async def _fairness_run(
    server: SandboxServer,
    url: str,
    client_id: str,
    calls: list[tuple[str, int]],
    plans: dict[str, UsagePlan],
) -> Fairness:
    engine = create_engine(url)
    pacer = Pacer(
        DatabaseBudget(engine),
        overrides={GET_LISTINGS_ITEM: plans["seller"]},
        application_plans={GET_LISTINGS_ITEM: plans["application"]},
        max_wait=600,
    )
    config = SpApiConfig(
        lwa_client_id=client_id,
        lwa_client_secret=SecretStr(CLIENT_SECRET),
        endpoint=server.url,
        lwa_endpoint=server.lwa_url,
        rate_limit_max_wait=600,
    )
    partners = {
        name: SellingPartner(id=_seller(name)[0], refresh_token=SecretStr(_seller(name)[1]))
        for name in _fairness_sellers(calls)
    }
    waits: dict[str, list[float]] = {"light": [], "heavy": []}
    try:
        async with SpApiClient(config, limiter=pacer) as client:
            for partner in partners.values():  # the token requests are not part of the measurement
                await client.lwa.access_token(partner)

            async def call(name: str, index: int) -> None:
                began = time.perf_counter()
                partner = partners[name]
                await client.listings.get_listings_item(
                    partner, seller_id=partner.id, sku=f"SKU-{index}", marketplace_ids=[MARKETPLACE]
                )
                waits["heavy" if name == "heavy" else "light"].append(time.perf_counter() - began)

            started = time.perf_counter()
            await asyncio.gather(*(call(name, index) for name, index in calls))
            seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    return Fairness(waits["light"], waits["heavy"], seconds)


def _fairness_sellers(calls: list[tuple[str, int]]) -> list[str]:
    """The names (see _seller) of the sellers making ``calls``."""
    return sorted({name for name, _ in calls})


def fairness_stage(args: argparse.Namespace, url: str) -> float:
    """Stage e, on the migrated database at ``url``; returns the ratio of the light sellers' p95 waits
    (beside the heavy seller / alone)."""
    plans = {
        "seller": UsagePlan(rate=args.seller_rate, burst=10),
        "application": UsagePlan(rate=args.application_rate, burst=5),
    }
    print(
        f"e. getListingsItem, application-wide {plans['application'].rate:g}/s burst 5, per seller "
        f"{plans['seller'].rate:g}/s burst 10; heavy seller {args.heavy} calls, {args.light} light sellers "
        f"{args.per_light} calls each; wait = from asking to the call's answer"
    )
    light = [(f"light{i}", n) for i in range(args.light) for n in range(args.per_light)]
    runs = {"alone": light, "beside the heavy seller": light + [("heavy", n) for n in range(args.heavy)]}
    # One sandbox; each run is another application (LWA client), so its budget keys start afresh too.
    clients = {name: f"{CLIENT_ID}-{index}" for index, name in enumerate(runs)}
    names = _fairness_sellers(runs["beside the heavy seller"])
    state = SandboxState(
        clients=dict.fromkeys(clients.values(), CLIENT_SECRET),
        sellers={_seller(name)[1]: _seller(name)[0] for name in names},
        rate_limit_tolerance=0.0,
        record_limit=100,
    )
    results = {}
    with SandboxServer(state) as sandbox:
        for name, calls in runs.items():
            random.Random(5).shuffle(calls)  # all issued at once, in no particular order
            # New plans start with full buckets (the sandbox keeps one application's).
            state.set_rate_limit(GET_LISTINGS_ITEM, rate=plans["seller"].rate, burst=plans["seller"].burst)
            state.set_application_rate_limit(
                GET_LISTINGS_ITEM, rate=plans["application"].rate, burst=plans["application"].burst
            )
            throttled_before = state.throttled[GET_LISTINGS_ITEM]
            result = results[name] = asyncio.run(_fairness_run(sandbox, url, clients[name], calls, plans))
            heavy_part = (
                f"; heavy: {len(result.heavy)} calls, p95 {p95(result.heavy):.2f}s, "
                f"{(len(result.heavy) + len(result.light)) / result.seconds:.1f} calls/s in all"
                if result.heavy
                else ""
            )
            print(
                f"  light sellers {name}: p95 wait {p95(result.light):.2f}s "
                f"median {statistics.median(result.light):.2f}s max {max(result.light):.2f}s, "
                f"429s={state.throttled[GET_LISTINGS_ITEM] - throttled_before}, "
                f"{result.seconds:.1f}s{heavy_part}"
            )
    ratio = p95(results["beside the heavy seller"].light) / p95(results["alone"].light)
    print(f"  light sellers' p95 wait beside the heavy seller / alone: {ratio:.2f} (no fixed bar)")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stages", default="a,b,c,d,e", help="which stages to run (comma-separated)")
    parser.add_argument("--scale", type=float, default=10.0, help="getOrder's plan runs this much faster")
    parser.add_argument("--replicas", type=int, default=4)
    parser.add_argument("--backlog", type=int, default=120, help="distinct orders per run of stage a")
    parser.add_argument("--orders", type=int, default=30, help="orders of stage b")
    parser.add_argument("--per-order", type=int, default=10, help="notifications per order in stage b")
    parser.add_argument("--sellers", type=int, default=20, help="sellers of stage c")
    parser.add_argument("--reservations", type=int, default=2000, help="reservations timed in stage d")
    parser.add_argument("--heavy", type=int, default=1000, help="the heavy seller's calls in stage e")
    parser.add_argument("--light", type=int, default=10, help="light sellers in stage e")
    parser.add_argument("--per-light", type=int, default=10, help="calls of each light seller in stage e")
    parser.add_argument("--seller-rate", type=float, default=100.0, help="stage e: each seller's own rate")
    parser.add_argument(
        "--application-rate", type=float, default=50.0, help="stage e: the application's rate"
    )
    args = parse_args(
        parser,
        replicas=2,
        backlog=35,
        orders=6,
        per_order=4,
        sellers=3,
        reservations=200,
        heavy=100,
        light=4,
        per_light=5,
    )
    configure_logging("warning", "console")
    external = os.environ.get(EXTERNAL_URL_ENV) if args.quick else None
    started = time.perf_counter()
    outcome = Outcome()
    stages = set(args.stages.split(","))
    with postgres(external) as server, fresh_database(server) as budget_url:
        asyncio.run(_migrate(budget_url))  # stages d and e's
        for names, run in (
            ("ab", lambda: fleet_stages(args, server, outcome, stages)),
            ("c", lambda: subscriptions_stage(args, server, outcome)),
            ("d", lambda: reservation_stage(args, budget_url)),
            ("e", lambda: fairness_stage(args, budget_url)),
        ):
            if stages & set(names):
                began = time.perf_counter()
                run()
                print(f"  ({'+'.join(sorted(stages & set(names)))}: {time.perf_counter() - began:.1f}s)")
    print(f"fleet bench: {time.perf_counter() - started:.0f}s")
    print(
        "bar (a: 0 429s and ratio >= 0.9 for both; b: <= 1.1 getOrder calls per order, 0 429s; c: 0 429s):",
        bar_verdict(outcome.bars_met, args.quick),
    )
    if outcome.broken:
        raise SystemExit(1)
    raise SystemExit(0 if outcome.bars_met or args.quick else 1)


if __name__ == "__main__":
    main()
