"""The output tables downstream systems read: orders, order_items, listings_items, reports.

Revision ID: 0003_domain
Revises: 0002_sellers
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.types import UtcDateTime, json_document

revision: str = "0003_domain"
down_revision: str | None = "0002_sellers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("amazon_order_id", sa.String(64), nullable=False),
        sa.Column("seller_id", sa.String(128), nullable=False),
        sa.Column("marketplace_id", sa.String(32)),
        sa.Column("order_status", sa.String(64)),
        sa.Column("purchase_date", UtcDateTime()),
        sa.Column("last_updated_time", UtcDateTime()),
        sa.Column("fulfillment_channel", sa.String(32)),
        sa.Column("order_total_amount", sa.Numeric(18, 4)),
        sa.Column("order_total_currency", sa.String(8)),
        sa.Column("last_event_time", UtcDateTime()),
        sa.Column("raw", json_document(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("amazon_order_id", name="pk_orders"),
    )
    op.create_index("ix_orders_seller_id_last_updated_time", "orders", ["seller_id", "last_updated_time"])
    op.create_table(
        "order_items",
        sa.Column("amazon_order_id", sa.String(64), nullable=False),
        sa.Column("order_item_id", sa.String(64), nullable=False),
        sa.Column("seller_sku", sa.String(200)),
        sa.Column("asin", sa.String(16)),
        sa.Column("quantity_ordered", sa.Integer),
        sa.Column("quantity_shipped", sa.Integer),
        sa.Column("raw", json_document(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("amazon_order_id", "order_item_id", name="pk_order_items"),
    )
    op.create_table(
        "listings_items",
        sa.Column("seller_id", sa.String(128), nullable=False),
        sa.Column("sku", sa.String(200), nullable=False),
        sa.Column("marketplace_id", sa.String(32), nullable=False),
        sa.Column("asin", sa.String(16)),
        sa.Column("statuses", json_document(), nullable=False),
        sa.Column("issues", json_document()),
        sa.Column("last_event_time", UtcDateTime()),
        sa.Column("raw", json_document()),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", "sku", "marketplace_id", name="pk_listings_items"),
    )
    op.create_table(
        "reports",
        sa.Column("report_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("seller_id", sa.String(128)),
        sa.Column("report_type", sa.String(128), nullable=False),
        sa.Column("processing_status", sa.String(32), nullable=False),
        sa.Column("report_document_id", sa.String(256)),
        sa.Column("location", sa.Text),
        sa.Column("size_bytes", sa.BigInteger),
        sa.Column("sha256", sa.String(64)),
        sa.Column("stored_at", UtcDateTime()),
        sa.Column("compression_algorithm", sa.String(16)),
        sa.Column("data_start_time", UtcDateTime()),
        sa.Column("data_end_time", UtcDateTime()),
        sa.PrimaryKeyConstraint("report_id", "account_id", name="pk_reports"),
    )


def downgrade() -> None:
    op.drop_table("reports")
    op.drop_table("listings_items")
    op.drop_table("order_items")
    op.drop_index("ix_orders_seller_id_last_updated_time", table_name="orders")
    op.drop_table("orders")
