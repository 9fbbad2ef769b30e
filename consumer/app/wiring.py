"""Wiring the daemon from settings: database, SQS, SP-API client, handlers, metrics and health; then run."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import aioboto3
import structlog

from consumer.app.configs import (
    changes_retention,
    daemon_config,
    handlers_config,
    seller_directory,
    shared_client,
)
from consumer.app.plugins import load_plugins
from consumer.app.reconcile import periodic_sweeps
from consumer.app.startup import wait_for_database
from consumer.changes.pruner import pruning
from consumer.daemon.loop import Daemon
from consumer.daemon.processor import Processor
from consumer.intake.client import sqs_client
from consumer.intake.dead_letter import DeadLetterQueue
from consumer.intake.queue import Queue, dead_letter_queue_url
from consumer.ops.health import HealthServer, HealthState
from consumer.ops.metrics import Metrics
from consumer.ops.spapi_metrics import SpApiMetrics
from consumer.ops.status import StatusBoard
from consumer.ops.status_refresher import DEAD_LETTER, SOURCE, StatusConfig, StatusRefresher, refreshing
from consumer.settings import Settings, SettingsError
from handlers import register
from handlers.context import HandlerContext
from handlers.registry import Registry
from store.engine import create_engine
from store.migrate import ensure_current
from store.sellers import has_sellers
from store.token_cipher import TokenCipher

log = structlog.get_logger("consumer")


def build_registry(settings: Settings, context: HandlerContext) -> Registry:
    """The built-in handlers, then the plugins' (SPAPI_NOTIFY_PLUGINS)."""
    registry = Registry()
    register(registry, context, handlers_config(settings))
    load_plugins(settings.plugins.split(","), registry, context)
    return registry


@asynccontextmanager
async def open_daemon(settings: Settings) -> AsyncIterator[Daemon]:
    """Everything the daemon needs, checked and connected; closed again on exit. Raises before yielding
    when the settings, the database schema or the queues are not usable."""
    if not settings.queue_url:
        raise SettingsError("missing required setting: SPAPI_NOTIFY_QUEUE_URL (the queue Amazon delivers to)")
    if settings.application_id is None:
        log.warning(
            "daemon.any_application",
            detail="SPAPI_NOTIFY_APPLICATION_ID is not set: notifications of every application are accepted",
        )
    async with AsyncExitStack() as stack:
        engine = create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        await wait_for_database(engine, settings.startup_timeout)
        await ensure_current(engine)
        if await has_sellers(engine):
            TokenCipher(settings.encryption_key)  # refuse to start with a missing or malformed key

        metrics = Metrics()
        spapi_client = None
        if settings.lwa_client_id and settings.lwa_client_secret is not None:
            spapi_client = await stack.enter_async_context(
                shared_client(settings, engine, observer=SpApiMetrics(metrics))
            )
        else:
            log.warning(
                "daemon.no_spapi_credentials",
                detail="SPAPI_NOTIFY_LWA_CLIENT_ID/SECRET are not set: notifications whose handlers call "
                "SP-API fail (retried, then dead-lettered by the queue's redrive; replay them once the "
                "credentials are set)",
            )
        context = HandlerContext(engine, seller_directory(settings, engine), spapi_client)
        registry = build_registry(settings, context)

        # Every poller holds a connection for its long poll; deletes and visibility changes need a few more.
        sqs = await stack.enter_async_context(
            sqs_client(
                aioboto3.Session(),
                connections=settings.pollers + 10,
                long_poll_seconds=settings.receive_wait_seconds,
            )
        )

        def count_call(operation: str) -> None:
            metrics.sqs_calls.labels(operation).inc()

        queue = Queue(sqs, settings.queue_url, on_call=count_call)
        attributes = await queue.attributes()
        dlq = Queue(sqs, await dead_letter_queue_url(sqs, queue, settings.dlq_url), on_call=count_call)

        health = HealthState(stale_after=settings.receive_wait_seconds + 40)
        metrics.ready.set_function(lambda: float(health.ready()[0]))
        daemon = Daemon(
            daemon_config(settings, attributes.visibility_timeout),
            queue=queue,
            dead_letters=DeadLetterQueue(dlq, attributes.arn),
            processor=Processor(
                engine,
                registry,
                metrics,
                application_id=settings.application_id,
                handler_timeout=settings.handler_timeout,
                future_tolerance=settings.future_tolerance,
            ),
            metrics=metrics,
            health=health,
        )
        if settings.metrics_port is not None:
            board = StatusBoard()
            refresher = StatusRefresher(
                board,
                engine,
                {SOURCE: queue, DEAD_LETTER: dlq},
                metrics,
                replica=context.replica,
                config=StatusConfig(interval=settings.status_interval),
            )
            await stack.enter_async_context(refreshing(refresher))
            server = HealthServer(
                health, metrics.registry, settings.metrics_host, settings.metrics_port, board=board
            )
            server.start()
            stack.callback(server.stop)
            daemon.http_port = server.port
            log.info("daemon.http", port=server.port, paths=["/metrics", "/healthz", "/readyz", "/status"])
        log.info("daemon.handlers", registered=[f"{t} {v}" for t, v in registry.registered()])
        await stack.enter_async_context(periodic_sweeps(settings, context, metrics))
        await stack.enter_async_context(pruning(engine, changes_retention(settings), metrics.changes_pruned))
        yield daemon


async def run_daemon(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT; raises SettingsError and friends before it starts."""
    async with open_daemon(settings) as daemon:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, daemon.stop)
        try:
            await daemon.run()
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
