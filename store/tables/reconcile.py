"""Reconciliation: each seller's sweep progress, and one row per sweep run (see the README's Reconciliation).

Times are UTC. A window in progress (``window_after`` set) is what a crashed or paused sweep resumes:
the next sweep continues at ``next_token`` (the page after the last committed one).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, Integer, String, Table, Text

from store.metadata import metadata
from store.types import UtcDateTime

RECONCILE_STATE = Table(
    "reconcile_state",
    metadata,
    Column("seller_id", String(128), primary_key=True),
    Column("region", String(8), primary_key=True),
    # Every change at Amazon up to this instant has been swept: the next window starts here (less overlap).
    Column("high_water_mark", UtcDateTime()),
    Column("last_run_at", UtcDateTime()),
    Column("last_outcome", String(16)),
    Column("last_error", Text),
    # The window being swept, the token of its next page and when Amazon issued it (tokens last 24 hours).
    Column("window_after", UtcDateTime()),
    Column("window_before", UtcDateTime()),
    Column("next_token", Text),
    Column("token_issued_at", UtcDateTime()),
    Column("run_id", Integer),
    Column("updated_at", UtcDateTime(), nullable=False),
)

RECONCILE_RUNS = Table(
    "reconcile_runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("seller_id", String(128), nullable=False),
    Column("region", String(8), nullable=False),
    Column("window_after", UtcDateTime(), nullable=False),
    Column("window_before", UtcDateTime(), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime()),
    Column("pages", Integer, nullable=False),
    Column("orders_seen", Integer, nullable=False),
    Column("orders_changed", Integer, nullable=False),
    Column("orders_missed", Integer, nullable=False),
    Column("duration_seconds", Float(precision=53)),
    # running, completed, paused (quota), failed, interrupted (the process stopped; the next run resumed it)
    Column("outcome", String(16), nullable=False),
    Column("error", Text),
    Column("replica", String(128)),
    # Started from a page an earlier run committed; windows restarted because a page token expired.
    Column("resumed", Boolean, nullable=False),
    Column("restarts", Integer, nullable=False),
    Index("ix_reconcile_runs_seller_id_started_at", "seller_id", "started_at"),
)
