"""handlers: one module per notification type; ``register`` routes each type to its handler."""

from __future__ import annotations

from consumer.dispatch import Registry
from consumer.services import Services
from handlers.listings_item_status_change import ListingsItemStatusChangeHandler
from handlers.order_change import OrderChangeHandler
from handlers.report_processing_finished import ReportProcessingFinishedHandler


def register(registry: Registry, services: Services) -> None:
    """Register every built-in handler; other types are recorded as ignored."""
    registry.register("ORDER_CHANGE", "1.0", OrderChangeHandler.from_services(services))
    registry.register("LISTINGS_ITEM_STATUS_CHANGE", "1.0", ListingsItemStatusChangeHandler(services))
    registry.register(
        "REPORT_PROCESSING_FINISHED", "2020-09-04", ReportProcessingFinishedHandler.from_services(services)
    )
