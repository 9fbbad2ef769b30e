"""Find the selling partner in a payload that has no typed model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Seller-specific keys come first: when a payload has both (FEED_PROCESSING_FINISHED has sellerId and
# accountId), accountId is the same account in another form (amzn1.merchant.o.<sellerId>).
SELLING_PARTNER_KEYS = (
    "SellerId",
    "sellerId",
    "SellingPartnerId",
    "sellingPartnerId",
    "MerchantId",
    "merchantId",
    "AccountId",
    "accountId",
)
# Three levels reach TRANSACTION_UPDATE's Payload.TransactionUpdateNotification.SellingPartnerMetadata.
MAX_DEPTH = 3


def find_selling_partner_id(payload: Mapping[str, Any], max_depth: int = MAX_DEPTH) -> str | None:
    """The first non-empty selling partner id in ``payload``, searched level by level through objects.

    Arrays are not searched: in the official examples they hold other parties' ids (ANY_OFFER_CHANGED's
    ``Offers[].SellerId`` are competitors), so an id found there would name the wrong account.
    """
    level: list[Mapping[str, Any]] = [payload]
    for _ in range(max_depth):
        for obj in level:
            for key in SELLING_PARTNER_KEYS:
                value = obj.get(key)
                if isinstance(value, str) and value:
                    return value
        level = [value for obj in level for value in obj.values() if isinstance(value, Mapping)]
        if not level:
            break
    return None
