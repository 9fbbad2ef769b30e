"""The fleet's shared state: the SP-API rate budget and order fetch claims.

Revision ID: 0005_fleet
Revises: 0004_subscriptions
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_fleet"
down_revision: str | None = "0004_subscriptions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_budget",
        sa.Column("budget_key", sa.String(512), nullable=False),
        sa.Column("tat", sa.Float(precision=53), nullable=False),
        sa.Column("interval_s", sa.Float(precision=53), nullable=False),
        sa.Column("tolerance_s", sa.Float(precision=53), nullable=False),
        sa.Column("rate", sa.Float(precision=53), nullable=False),
        sa.Column("burst", sa.Integer, nullable=False),
        sa.Column("updated", sa.Float(precision=53), nullable=False),
        sa.PrimaryKeyConstraint("budget_key", name="pk_rate_budget"),
    )
    op.create_table(
        "order_fetch_claims",
        sa.Column("amazon_order_id", sa.String(64), nullable=False),
        sa.Column("claimed_by", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.Float(precision=53), nullable=False),
        sa.PrimaryKeyConstraint("amazon_order_id", name="pk_order_fetch_claims"),
    )


def downgrade() -> None:
    op.drop_table("order_fetch_claims")
    op.drop_table("rate_budget")
