"""Reconciliation: each seller's sweep progress, the log of sweep runs, and leases.

Revision ID: 0006_reconcile
Revises: 0005_fleet
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UtcDateTime

revision: str = "0006_reconcile"
down_revision: str | None = "0005_fleet"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reconcile_state",
        sa.Column("seller_id", sa.String(128), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("high_water_mark", UtcDateTime()),
        sa.Column("last_run_at", UtcDateTime()),
        sa.Column("last_outcome", sa.String(16)),
        sa.Column("last_error", sa.Text),
        sa.Column("window_after", UtcDateTime()),
        sa.Column("window_before", UtcDateTime()),
        sa.Column("next_token", sa.Text),
        sa.Column("token_issued_at", UtcDateTime()),
        sa.Column("run_id", sa.Integer),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", "region", name="pk_reconcile_state"),
    )
    op.create_table(
        "reconcile_runs",
        sa.Column("run_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("seller_id", sa.String(128), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("window_after", UtcDateTime(), nullable=False),
        sa.Column("window_before", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime()),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("orders_seen", sa.Integer, nullable=False),
        sa.Column("orders_changed", sa.Integer, nullable=False),
        sa.Column("orders_missed", sa.Integer, nullable=False),
        sa.Column("duration_seconds", sa.Float(precision=53)),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("replica", sa.String(128)),
        sa.Column("resumed", sa.Boolean, nullable=False),
        sa.Column("restarts", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_reconcile_runs"),
    )
    op.create_index(
        "ix_reconcile_runs_seller_id_started_at", "reconcile_runs", ["seller_id", "started_at"]
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.Float(precision=53), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_index("ix_reconcile_runs_seller_id_started_at", table_name="reconcile_runs")
    op.drop_table("reconcile_runs")
    op.drop_table("reconcile_state")
