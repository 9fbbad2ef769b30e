"""The SP-API notification envelope, normalized from either of Amazon's two key cases.

Older notification types (ORDER_CHANGE, LISTINGS_ITEM_STATUS_CHANGE, ...) use PascalCase envelope keys
(``NotificationType``, ``NotificationMetadata.NotificationId``); newer ones (REPORT_PROCESSING_FINISHED,
PRICING_HEALTH, ...) use camelCase (``notificationType``, ``notificationMetadata.notificationId``). The model
below has one set of attribute names for both; ``key_case`` records which one arrived.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from spapi.notifications.selling_partner import find_selling_partner_id
from spapi.notifications.wire import TypedPayload, UtcDatetime

KeyCase = Literal["pascal", "camel"]

# Attribute name -> (PascalCase key, camelCase key). NotificationType comes first: its case decides key_case.
ENVELOPE_KEYS: Mapping[str, tuple[str, str]] = {
    "notification_type": ("NotificationType", "notificationType"),
    "notification_version": ("NotificationVersion", "notificationVersion"),
    "payload_version": ("PayloadVersion", "payloadVersion"),
    "event_time": ("EventTime", "eventTime"),
    "payload": ("Payload", "payload"),
    "metadata": ("NotificationMetadata", "notificationMetadata"),
}
METADATA_KEYS: Mapping[str, tuple[str, str]] = {
    "application_id": ("ApplicationId", "applicationId"),
    "subscription_id": ("SubscriptionId", "subscriptionId"),
    "publish_time": ("PublishTime", "publishTime"),
    "notification_id": ("NotificationId", "notificationId"),
}

P = TypeVar("P")


class NotificationMetadata(BaseModel):
    """Who the notification is for and its identity.

    Every official schema requires all four keys, but only the notification id is needed here (it is the
    ledger key that makes processing exactly-once); the rest are optional so that a notification that
    omits one is still processed.
    """

    model_config = ConfigDict(frozen=True)

    application_id: str | None = None
    subscription_id: str | None = None
    publish_time: UtcDatetime | None = None
    notification_id: str = Field(min_length=1)


class Notification(BaseModel, Generic[P]):
    """One SP-API notification: the envelope, normalized, and its payload (a typed model or a plain dict)."""

    model_config = ConfigDict(frozen=True)

    notification_type: str = Field(min_length=1)
    notification_version: str | None = None
    payload_version: str = Field(min_length=1)
    event_time: UtcDatetime | None = None
    # Payloads can hold buyer data (ORDER_CHANGE has a postal code), so neither they nor the raw notification
    # appear in repr() and hence in logs.
    payload: P = Field(repr=False)
    metadata: NotificationMetadata
    key_case: KeyCase
    raw: dict[str, Any] = Field(repr=False)
    """The notification object as received, for storing (``notificationType`` included when it was taken from
    an EventBridge ``detail-type``)."""

    @property
    def notification_id(self) -> str:
        return self.metadata.notification_id

    @property
    def selling_partner_id(self) -> str | None:
        """The seller id (or, for vendors, the account id) the notification is about, or None when unknown."""
        payload: object = self.payload
        if isinstance(payload, TypedPayload):
            return payload.selling_partner_id
        if isinstance(payload, Mapping):
            return find_selling_partner_id(payload)
        return None
