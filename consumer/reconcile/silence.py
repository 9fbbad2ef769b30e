"""Silent subscriptions: a sweep found orders no notification brought, and none has arrived for a while.

Per seller and notification type (the sweep checks orders, so ORDER_CHANGE): when a sweep wrote missed
orders and the ledger holds no ORDER_CHANGE of the seller received within ``silence_after`` seconds, the
subscription has most likely stopped delivering. It is logged (``subscription_silent``, with the likely
causes and the command that checks them) and counted (``subscription_silent_total{seller,type}``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.ops.metrics import Metrics
from store.reconcile import last_received

log = structlog.get_logger("consumer.reconcile")

ORDER_CHANGE = "ORDER_CHANGE"
LIKELY_CAUSES = (
    "the subscription was deleted, or points at another destination",
    "the seller revoked the application's authorisation",
    "the queue policy no longer lets Amazon's principal send to the queue",
    "the queue is FIFO, KMS-encrypted with a key Amazon cannot use, or in another region",
    "an EventBridge destination lost its event bus association or rule",
)
CHECK_COMMAND = "spapi-notify doctor"


async def is_silent(
    engine: AsyncEngine,
    metrics: Metrics,
    *,
    seller_id: str,
    orders_missed: int,
    now: datetime,
    silence_after: float,
    notification_type: str = ORDER_CHANGE,
) -> bool:
    """Whether the seller's subscription to ``notification_type`` looks silent (logged and counted)."""
    if orders_missed <= 0:
        return False
    last = await last_received(engine, seller_id, notification_type)
    if last is not None and now - last < timedelta(seconds=silence_after):
        return False
    log.warning(
        "subscription_silent",
        seller=seller_id,
        notification_type=notification_type,
        orders_missed=orders_missed,
        last_received=last.isoformat() if last else None,
        silent_for_at_least_s=silence_after,
        likely_causes=list(LIKELY_CAUSES),
        check=CHECK_COMMAND,
    )
    metrics.subscription_silent.labels(seller=seller_id, type=notification_type).inc()
    return True
