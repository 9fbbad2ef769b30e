"""What the replicas of a fleet share beyond the ledger: the SP-API rate budget and order fetch claims.

Times here are seconds since the epoch on the database's clock (store.clock), so that every replica reads
the same time whatever its own clock says.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, String, Table

from store.metadata import metadata

# One GCRA key per (application, region, selling partner or "*", operation): see spapi.pacing.budget.
RATE_BUDGET = Table(
    "rate_budget",
    metadata,
    Column("budget_key", String(512), primary_key=True),
    # The theoretical arrival time: the next caller's slot is max(now, tat - tolerance_s).
    Column("tat", Float(precision=53), nullable=False),
    Column("interval_s", Float(precision=53), nullable=False),
    Column("tolerance_s", Float(precision=53), nullable=False),
    # Amazon's rate (requests per second) and burst for the key: the usage plan, or the rate it stated.
    Column("rate", Float(precision=53), nullable=False),
    Column("burst", Integer, nullable=False),
    # When tat last moved: a stated rate rescales the debt from here (spapi.pacing.budget.rescaled).
    Column("updated", Float(precision=53), nullable=False),
)

# The replica fetching an order from SP-API right now: the others wait for its write instead of calling too.
ORDER_FETCH_CLAIMS = Table(
    "order_fetch_claims",
    metadata,
    Column("amazon_order_id", String(64), primary_key=True),
    Column("claimed_by", String(128), nullable=False),
    Column("expires_at", Float(precision=53), nullable=False),
)
