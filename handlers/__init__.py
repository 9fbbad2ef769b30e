"""handlers: the handler contract, and one module per notification type that has a dedicated handler."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.context import HandlerContext
from handlers.fba_outbound_shipment_status import FbaOutboundShipmentStatusHandler
from handlers.feed_processing_finished import FeedProcessingFinishedHandler
from handlers.listings_item_status_change import ListingsItemStatusChangeHandler
from handlers.notification_events import EventTypes, NotificationEventsHandler
from handlers.order_change import OrderChangeConfig, OrderChangeHandler
from handlers.registry import Registry
from handlers.report_processing_finished import ReportProcessingFinishedHandler
from handlers.report_storage import ReportStorage


@dataclass(frozen=True)
class HandlersConfig:
    """What the built-in handlers need beyond the shared context."""

    order_change: OrderChangeConfig
    report_storage: ReportStorage
    # Types without a dedicated handler kept in notification_events (default: every type).
    event_types: EventTypes = field(default_factory=EventTypes)


def register(registry: Registry, context: HandlerContext, config: HandlersConfig) -> None:
    """Register every built-in handler; other types go to the default, which keeps them as events."""
    registry.default = NotificationEventsHandler(config.event_types)
    registry.register("ORDER_CHANGE", "1.0", OrderChangeHandler(context, config.order_change))
    registry.register("LISTINGS_ITEM_STATUS_CHANGE", "1.0", ListingsItemStatusChangeHandler(context))
    registry.register(
        "REPORT_PROCESSING_FINISHED",
        "2020-09-04",
        ReportProcessingFinishedHandler(context, config.report_storage),
    )
    registry.register(
        "FEED_PROCESSING_FINISHED",
        "2020-09-04",
        FeedProcessingFinishedHandler(context, config.report_storage),
    )
    registry.register("FBA_OUTBOUND_SHIPMENT_STATUS", "1.0", FbaOutboundShipmentStatusHandler())
