"""Every table of spapi-notify. Importing this package registers them all on ``store.metadata.metadata``.

The tables are a product interface (downstream systems read them): change them only through a migration in
store/migrations/versions, and never rename a documented column.
"""

from store.tables.notifications import DELIVERY_FAILURES, NOTIFICATIONS, LedgerStatus

__all__ = ["DELIVERY_FAILURES", "NOTIFICATIONS", "LedgerStatus"]
