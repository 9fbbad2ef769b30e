"""Find the marketplace in a payload that has no typed model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MARKETPLACE_KEYS = ("MarketplaceId", "marketplaceId")
# Four levels reach ANY_OFFER_CHANGED's Payload.AnyOfferChangedNotification.OfferChangeTrigger.MarketplaceId.
MAX_DEPTH = 4


def find_marketplace_id(payload: Mapping[str, Any], max_depth: int = MAX_DEPTH) -> str | None:
    """The first non-empty marketplace id in ``payload``, searched level by level through objects.

    Arrays are not searched: a payload that lists several marketplaces (FBA_INVENTORY_AVAILABILITY_CHANGES's
    FulfillmentInventoryByMarketplace) is about no single one of them.
    """
    level: list[Mapping[str, Any]] = [payload]
    for _ in range(max_depth):
        for obj in level:
            for key in MARKETPLACE_KEYS:
                value = obj.get(key)
                if isinstance(value, str) and value:
                    return value
        level = [value for obj in level for value in obj.values() if isinstance(value, Mapping)]
        if not level:
            break
    return None
