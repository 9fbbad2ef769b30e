"""PostgreSQL stopped under a backlog, with the daemon as a real process: receiving pauses (no receive is
spent while the database is down), what was in hand goes back to the queue, a SIGKILL in the middle and a
restart while the database is still down lose nothing, and once it is back every notification is applied
exactly once with nothing dead-lettered. A private cluster: the session's is shared by other tests."""

from __future__ import annotations

import signal
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from store.engine import create_engine
from tests.builders import notification_id_of, steered
from tests.fixtures.daemon_process import cli_env, events, free_port, readiness, scrape, start, wait_exit
from tests.fixtures.daemons import migrate_for_daemons
from tests.fixtures.polling import eventually
from tests.fixtures.postgres import (
    PostgresServer,
    create_database,
    restart_cluster,
    server_bindir,
    stop_cluster,
    throwaway_cluster,
)
from tests.fixtures.queues import create_queues, drain, queue_depth, send
from tests.fixtures.steered_plugin import PLUGIN
from tests.fixtures.tables import effects, ledger

POLLERS = 2
RECEIVES = "spapi_notify_receive_calls_total"
PAUSED = 'spapi_notify_receiving_paused{dependency="database"}'
RELEASED = 'spapi_notify_outage_releases_total{dependency="database"}'


async def migrated(server: PostgresServer) -> AsyncEngine:
    create_database(server, "outage")
    engine = create_engine(server.url("outage"))
    await migrate_for_daemons(engine)
    return engine


async def test_postgres_stopped_under_a_backlog_costs_no_receives_and_loses_nothing(
    moto_server: str, tmp_path: Path
) -> None:
    bindir = server_bindir()
    with throwaway_cluster(bindir) as server:
        engine = await migrated(server)
        # maxReceiveCount 3: a daemon that kept receiving while the database is down would redrive these.
        queues = await create_queues(visibility_timeout=5, max_receive_count=3)
        notes = [steered(sleep=0.1) for _ in range(40)]
        await send(queues.url, *notes)
        port = free_port()
        env = cli_env(
            moto_server,
            queue_url=queues.url,
            database_url=server.url("outage"),
            plugins=PLUGIN,
            pollers=str(POLLERS),
            max_in_flight="4",
            receive_wait_seconds="1",
            retry_backoff_base="1",
            retry_backoff_max="2",
            metrics_port=str(port),
            log_format="json",
        )
        first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
        first = start(env, tmp_path, first_log)
        second = None
        try:
            await eventually(
                lambda: ledger(engine), lambda rows: len(rows) >= 4, what="part of the backlog done"
            )
            await engine.dispose()
            stop_cluster(bindir, server)
            paused = await eventually(lambda: scrape(port), lambda m: m.get(PAUSED) == 1, what="paused")
            assert await readiness(port) == 503
            # A failed probe later (0.5-1 s, and a 1 s long poll), receiving has not resumed: at most the long
            # polls already under way when the pause began were answered, and their messages were released.
            await eventually(lambda: _probes(first_log), lambda n: n >= 1, what="a failed probe", deadline=15)
            during = await scrape(port)
            assert during[RECEIVES] - paused[RECEIVES] <= POLLERS, (paused, during)
            assert during.get(PAUSED) == 1
            assert during.get('spapi_notify_failures_total{reason="database"}', 0) == 0
            assert during.get(RELEASED, 0) >= 1  # the in-flight ones went back, not counted as failures

            # SIGKILL mid-outage; a new daemon started while the database is still down waits for it.
            first.kill()
            assert await wait_exit(first) == -signal.SIGKILL
            second = start(env, tmp_path, second_log)
            await eventually(
                lambda: _waiting(second_log), lambda n: n >= 1, what=f"waiting for the database: {second_log}"
            )
            restart_cluster(bindir, server)
            engine = create_engine(server.url("outage"))
            await eventually(
                lambda: ledger(engine), lambda rows: len(rows) == len(notes), what="all applied", deadline=60
            )
            await eventually(
                lambda: queue_depth(queues.url), lambda depth: depth == (0, 0), what="queue empty"
            )
            second.send_signal(signal.SIGTERM)
            assert await wait_exit(second) == 0
        finally:
            for process in (first, second):
                if process is not None and process.poll() is None:
                    process.kill()
        assert set((await ledger(engine)).values()) == {"processed"}
        assert await effects(engine) == {notification_id_of(n): 1 for n in notes}
        assert await drain(queues.dlq_url) == []
        await engine.dispose()


async def _probes(log: Path) -> int:
    return len(events(log, "daemon.still_down"))


async def _waiting(log: Path) -> int:
    return len(events(log, "database.waiting"))
