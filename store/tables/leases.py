"""Leases: one holder at a time for work a fleet must not do twice at once (a seller's reconciliation sweep).

``expires_at`` is on the database's clock (store.clock), so a crashed holder's lease expires for everyone.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, String, Table

from store.metadata import metadata

LEASES = Table(
    "leases",
    metadata,
    Column("name", String(256), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("expires_at", Float(precision=53), nullable=False),
)
