"""``spapi-notify reconcile``: JSON lines and text, a dry run that writes nothing, exit codes, no secrets;
its progress bar."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from consumer.reconcile.progress import TerminalProgress
from consumer.reconcile.result import SweepResult
from spapi.sandbox import SandboxServer, SandboxState
from store.engine import create_engine
from store.migrate import upgrade
from store.reconcile import RunCounts
from tests.fixtures.cli import invoke, json_lines
from tests.fixtures.reconcile_world import (
    CLIENT_SECRET,
    SEARCH_ORDERS,
    SELLER,
    SELLER_TOKEN,
    put_truth,
    reconcile_environment,
    stored_orders,
)


async def test_reconcile_command(sandbox: SandboxServer, state: SandboxState, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    engine = create_engine(url)
    await upgrade(engine)
    env = reconcile_environment(url, sandbox)
    truth = put_truth(state, SELLER, 3)
    try:
        dry = await invoke("reconcile", "--dry-run", "--json", env=env)
        assert dry.exit_code == 0, dry.output
        seller, summary = json_lines(dry.stdout)
        assert (seller["kind"], seller["outcome"], seller["orders_missed"]) == ("seller", "dry_run", 3)
        assert (summary["kind"], summary["orders_missed"], summary["not_done"]) == ("summary", 3, 0)
        assert await stored_orders(engine) == {}  # a dry run writes nothing

        done = await invoke("reconcile", "--seller", SELLER, env=env)
        assert done.exit_code == 0, done.output
        assert "1/1 seller(s) reconciled: 1 page(s), 3 orders seen, 3 changed, 3 missed" in done.output
        assert set(await stored_orders(engine)) == set(truth)

        state.inject(SEARCH_ORDERS, 500, times=2)  # beyond the client's two attempts
        failed = await invoke("reconcile", "--json", env=env)
        assert failed.exit_code == 1
        assert json_lines(failed.stdout)[0]["outcome"] == "failed"

        unknown = await invoke("reconcile", "--seller", "A9NOBODY", env=env)
        assert unknown.exit_code == 2
        assert "no credentials for selling partner A9NOBODY" in unknown.output
        future = await invoke("reconcile", "--since", "2999-01-01", env=env)
        assert future.exit_code == 2
        assert "SPAPI_NOTIFY_RECONCILE_GRACE" in future.output
        for result in (dry, done, failed, unknown, future):
            assert CLIENT_SECRET not in result.output
            assert SELLER_TOKEN not in result.output
    finally:
        await engine.dispose()


def test_the_progress_bar_redraws_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    stream = io.StringIO()
    progress = TerminalProgress(2, stream)
    progress.page(SELLER, RunCounts(pages=3, orders_seen=300, orders_missed=4))
    progress.seller_done(SweepResult(SELLER, "completed"))
    progress.close()
    frames = stream.getvalue().split("\r")[1:]
    assert "[" + "-" * 20 + "] 0/2 sellers  A1RECONCILESELLER: page 3, 300 seen, 4 missed" in frames[0]
    assert "[" + "#" * 10 + "-" * 10 + "] 1/2 sellers  A1RECONCILESELLER: completed" in frames[1]
    assert stream.getvalue().endswith("\n")
    assert {len(frame.rstrip("\n")) for frame in frames} == {119}  # within the terminal, never wrapping
