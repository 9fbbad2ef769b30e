"""Per-application rate limits: the buckets Amazon keeps for the whole application, beside each account's.

Amazon documents these on each API's "Rate Limits" page, not in the models' Usage Plan tables; a call to one
of these operations spends both its account's bucket and the application's. Looked up 2026-12-01:
- Listings Items API Rate Limits (developer-docs.amazon.com/sp-api/docs/listings-items-api-rate-limits)
- Catalog Items API Rate Limits (.../catalog-items-api-rate-limits)
- Product Type Definitions API Rate Limits (.../product-type-definitions-api-rate-limits)
- Listings Restrictions API Rate Limits (.../listings-restrictions-api-rate-limits)
The burst is the operation's documented burst. Operation keys are ``<model file stem>.<operationId>``.
"""

from __future__ import annotations

from typing import Final

from spapi.model_catalog import UsagePlan

APPLICATION_PLANS: Final[dict[str, UsagePlan]] = {
    "listingsItems_2021-08-01.deleteListingsItem": UsagePlan(rate=100.0, burst=5),
    "listingsItems_2021-08-01.getListingsItem": UsagePlan(rate=100.0, burst=5),
    "listingsItems_2021-08-01.patchListingsItem": UsagePlan(rate=500.0, burst=5),
    "listingsItems_2021-08-01.putListingsItem": UsagePlan(rate=100.0, burst=5),
    "listingsItems_2020-09-01.deleteListingsItem": UsagePlan(rate=100.0, burst=5),
    "listingsItems_2020-09-01.patchListingsItem": UsagePlan(rate=500.0, burst=5),
    "listingsItems_2020-09-01.putListingsItem": UsagePlan(rate=100.0, burst=5),
    "catalogItems_2022-04-01.getCatalogItem": UsagePlan(rate=250.0, burst=2),
    "catalogItems_2022-04-01.searchCatalogItems": UsagePlan(rate=500.0, burst=2),
    "definitionsProductTypes_2020-09-01.getDefinitionsProductType": UsagePlan(rate=100.0, burst=5),
    "definitionsProductTypes_2020-09-01.searchDefinitionsProductTypes": UsagePlan(rate=100.0, burst=5),
    "listingsRestrictions_2021-08-01.getListingsRestrictions": UsagePlan(rate=100.0, burst=10),
}
