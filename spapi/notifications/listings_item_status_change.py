"""LISTINGS_ITEM_STATUS_CHANGE, payload version 1.0 (``ListingsItemStatusChangeNotification.json``).

The schema's NotificationType enum is ``LISTINGS_ITEM_STATUS_CHANGED`` (trailing D), but the type Amazon
sends, subscribes to and uses in the schema's own example is ``LISTINGS_ITEM_STATUS_CHANGE``;
``registry.TYPE_ALIASES`` accepts both and normalizes to the latter.
"""

from __future__ import annotations

from pydantic import Field

from spapi.notifications.wire import TypedPayload, UtcDatetime


class ListingsItemStatusChangePayload(TypedPayload):
    """The payload of LISTINGS_ITEM_STATUS_CHANGE 1.0: a seller's SKU and its current statuses."""

    seller_id: str = Field(min_length=1, alias="SellerId")
    marketplace_id: str | None = Field(default=None, alias="MarketplaceId")
    asin: str | None = Field(default=None, alias="Asin")
    sku: str = Field(alias="Sku")
    created_date: UtcDatetime | None = Field(default=None, alias="CreatedDate")
    # BUYABLE, DISCOVERABLE, DELETED today; a status that is absent does not apply. Plain strings so that a
    # new state does not dead-letter the notification.
    status: list[str] = Field(alias="Status")

    @property
    def selling_partner_id(self) -> str | None:
        return self.seller_id
