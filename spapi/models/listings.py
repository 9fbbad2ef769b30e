"""Listings Items API 2021-08-01: getListingsItem."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from spapi.models.base import CamelModel


class ItemSummary(CamelModel):
    """ItemSummaryByMarketplace of getListingsItem: the item's summary in one marketplace."""

    marketplace_id: str
    asin: str | None = None
    product_type: str | None = None
    condition_type: str | None = None
    status: list[str] = Field(default_factory=list)
    item_name: str | None = None
    created_date: str | None = None
    last_updated_date: str | None = None


class Issue(CamelModel):
    """An issue Amazon reports with a listings item (Issue of getListingsItem)."""

    code: str
    message: str
    severity: str
    attribute_names: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    marketplace_ids: list[str] = Field(default_factory=list)


class FulfillmentAvailability(CamelModel):
    """A listings item's quantity available through one fulfillment channel."""

    fulfillment_channel_code: str
    quantity: int | None = None


class ListingsItem(CamelModel):
    """A listings item as getListingsItem (Listings Items API 2021-08-01) returns it."""

    sku: str
    summaries: list[ItemSummary] = Field(default_factory=list)
    issues: list[Issue] = Field(default_factory=list)
    offers: list[dict[str, Any]] = Field(default_factory=list)
    fulfillment_availability: list[FulfillmentAvailability] = Field(default_factory=list)
