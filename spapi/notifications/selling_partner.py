"""Find the selling partner in a payload that has no typed model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spapi.notifications.field_search import first_text

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
    return first_text(payload, SELLING_PARTNER_KEYS, max_depth)
