"""Which values of a notification the built-in handlers write to which columns (contract.StoredField).

The consumer checks each against its column (store.limits) before the handler runs, so a value no column can
hold is dead-lettered as a schema violation naming its field, instead of costing SP-API calls and then failing
in the database. Values the handlers take from SP-API's answers are not listed: only the notification's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from handlers.contract import StoredField
from spapi.notifications import (
    ListingsItemStatusChangePayload,
    Notification,
    OrderChangePayload,
    ReportProcessingFinishedPayload,
)
from store.tables import LISTINGS_ITEMS, ORDER_FETCH_CLAIMS, ORDER_ITEMS, ORDERS, REPORTS


def order_change_fields(notification: Notification[Any]) -> Iterator[StoredField]:
    """ORDER_CHANGE 1.0: the order id and seller, and the Summary's values that stand in for getOrder's."""
    payload = notification.payload
    if not isinstance(payload, OrderChangePayload):
        return
    change = payload.order_change_notification
    at = "Payload.OrderChangeNotification"
    for table in (ORDERS, ORDER_ITEMS, ORDER_FETCH_CLAIMS):
        yield StoredField(f"{at}.AmazonOrderId", change.amazon_order_id, table.c.amazon_order_id)
    yield StoredField(f"{at}.SellerId", change.seller_id, ORDERS.c.seller_id)
    summary = change.summary
    yield StoredField(f"{at}.Summary.MarketplaceId", summary.marketplace_id, ORDERS.c.marketplace_id)
    yield StoredField(f"{at}.Summary.OrderStatus", summary.order_status, ORDERS.c.order_status)
    yield StoredField(f"{at}.Summary.FulfillmentType", summary.fulfillment_type, ORDERS.c.fulfillment_channel)
    for index, item in enumerate(summary.order_items):
        where = f"{at}.Summary.OrderItems[{index}]"
        yield StoredField(f"{where}.OrderItemId", item.order_item_id, ORDER_ITEMS.c.order_item_id)
        yield StoredField(f"{where}.SellerSKU", item.seller_sku, ORDER_ITEMS.c.seller_sku)
        yield StoredField(f"{where}.Quantity", item.quantity, ORDER_ITEMS.c.quantity_ordered)
        yield StoredField(f"{where}.QuantityShipped", item.quantity_shipped, ORDER_ITEMS.c.quantity_shipped)


def listings_item_fields(notification: Notification[Any]) -> Iterator[StoredField]:
    """LISTINGS_ITEM_STATUS_CHANGE 1.0: the listing's key, its ASIN and its statuses."""
    payload = notification.payload
    if not isinstance(payload, ListingsItemStatusChangePayload):
        return
    yield StoredField("Payload.SellerId", payload.seller_id, LISTINGS_ITEMS.c.seller_id)
    yield StoredField("Payload.Sku", payload.sku, LISTINGS_ITEMS.c.sku)
    yield StoredField("Payload.MarketplaceId", payload.marketplace_id, LISTINGS_ITEMS.c.marketplace_id)
    yield StoredField("Payload.Asin", payload.asin, LISTINGS_ITEMS.c.asin)
    for index, status in enumerate(payload.status):
        yield StoredField(f"Payload.Status[{index}]", status, LISTINGS_ITEMS.c.statuses)


def report_fields(notification: Notification[Any]) -> Iterator[StoredField]:
    """REPORT_PROCESSING_FINISHED 2020-09-04: the report's key, type, status and document id."""
    payload = notification.payload
    if not isinstance(payload, ReportProcessingFinishedPayload):
        return
    report = payload.report_processing_finished_notification
    at = "payload.reportProcessingFinishedNotification"
    yield StoredField(f"{at}.reportId", report.report_id, REPORTS.c.report_id)
    yield StoredField(f"{at}.accountId", report.account_id, REPORTS.c.account_id)
    yield StoredField(f"{at}.sellerId", report.seller_id, REPORTS.c.seller_id)
    yield StoredField(f"{at}.reportType", report.report_type, REPORTS.c.report_type)
    yield StoredField(f"{at}.processingStatus", report.processing_status, REPORTS.c.processing_status)
    yield StoredField(f"{at}.reportDocumentId", report.report_document_id, REPORTS.c.report_document_id)
