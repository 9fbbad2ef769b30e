"""Every table of spapi-notify. Importing this package registers them all on ``store.metadata.metadata``.

The tables are a product interface (downstream systems read them): change them only through a migration in
store/migrations/versions, and never rename a documented column.
"""

from store.tables.changes import CHANGES, Operation
from store.tables.events import NOTIFICATION_EVENTS
from store.tables.feeds import FEEDS
from store.tables.fleet import ORDER_FETCH_CLAIMS, RATE_BUDGET
from store.tables.leases import LEASES
from store.tables.listings import LISTINGS_ITEMS
from store.tables.notifications import DELIVERY_FAILURES, NOTIFICATIONS, LedgerStatus
from store.tables.orders import ORDER_ITEMS, ORDERS
from store.tables.reconcile import RECONCILE_RUNS, RECONCILE_STATE
from store.tables.reports import REPORTS
from store.tables.sellers import SELLERS
from store.tables.shipments import FBA_OUTBOUND_SHIPMENTS
from store.tables.subscriptions import NOTIFICATION_DESTINATIONS, NOTIFICATION_SUBSCRIPTIONS

__all__ = [
    "CHANGES",
    "DELIVERY_FAILURES",
    "FBA_OUTBOUND_SHIPMENTS",
    "FEEDS",
    "LEASES",
    "LISTINGS_ITEMS",
    "NOTIFICATIONS",
    "NOTIFICATION_DESTINATIONS",
    "NOTIFICATION_EVENTS",
    "NOTIFICATION_SUBSCRIPTIONS",
    "ORDERS",
    "ORDER_FETCH_CLAIMS",
    "ORDER_ITEMS",
    "RATE_BUDGET",
    "RECONCILE_RUNS",
    "RECONCILE_STATE",
    "REPORTS",
    "SELLERS",
    "LedgerStatus",
    "Operation",
]
