"""Find the marketplace in a payload that has no typed model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spapi.notifications.field_search import first_text

MARKETPLACE_KEYS = ("MarketplaceId", "marketplaceId")
# Four levels reach ANY_OFFER_CHANGED's Payload.AnyOfferChangedNotification.OfferChangeTrigger.MarketplaceId.
MAX_DEPTH = 4


def find_marketplace_id(payload: Mapping[str, Any], max_depth: int = MAX_DEPTH) -> str | None:
    """The first non-empty marketplace id in ``payload``, searched level by level through objects.

    Arrays are not searched: a payload that lists several marketplaces (FBA_INVENTORY_AVAILABILITY_CHANGES's
    FulfillmentInventoryByMarketplace) is about no single one of them.
    """
    return first_text(payload, MARKETPLACE_KEYS, max_depth)
