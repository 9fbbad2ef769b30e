"""Amazon marketplaces: id, country, and the SP-API region that serves them.

From Amazon's "Marketplace IDs" page (developer-docs.amazon.com/sp-api/docs/marketplace-ids).
"""

from __future__ import annotations

from dataclasses import dataclass

from spapi.regions import Region


@dataclass(frozen=True)
class Marketplace:
    """An Amazon marketplace: its id, country (name and code) and the SP-API region serving it."""

    id: str
    country: str
    country_code: str
    region: Region


MARKETPLACES: tuple[Marketplace, ...] = (
    Marketplace("A2EUQ1WTGCTBG2", "Canada", "CA", Region.NA),
    Marketplace("ATVPDKIKX0DER", "United States of America", "US", Region.NA),
    Marketplace("A1AM78C64UM0Y8", "Mexico", "MX", Region.NA),
    Marketplace("A2Q3Y263D00KWC", "Brazil", "BR", Region.NA),
    Marketplace("A28R8C7NBKEWEA", "Ireland", "IE", Region.EU),
    Marketplace("A1RKKUPIHCS9HS", "Spain", "ES", Region.EU),
    Marketplace("A1F83G8C2ARO7P", "United Kingdom", "UK", Region.EU),
    Marketplace("A13V1IB3VIYZZH", "France", "FR", Region.EU),
    Marketplace("AMEN7PMS3EDWL", "Belgium", "BE", Region.EU),
    Marketplace("A1805IZSGTT6HS", "Netherlands", "NL", Region.EU),
    Marketplace("A1PA6795UKMFR9", "Germany", "DE", Region.EU),
    Marketplace("APJ6JRA9NG5V4", "Italy", "IT", Region.EU),
    Marketplace("A2NODRKZP88ZB9", "Sweden", "SE", Region.EU),
    Marketplace("AE08WJ6YKNBMC", "South Africa", "ZA", Region.EU),
    Marketplace("A1C3SOZRARQ6R3", "Poland", "PL", Region.EU),
    Marketplace("ARBP9OOSHTCHU", "Egypt", "EG", Region.EU),
    Marketplace("A33AVAJ2PDY3EV", "Turkey", "TR", Region.EU),
    Marketplace("A17E79C6D8DWNP", "Saudi Arabia", "SA", Region.EU),
    Marketplace("A2VIGQ35RCS4UG", "United Arab Emirates", "AE", Region.EU),
    Marketplace("A21TJRUUN4KGV", "India", "IN", Region.EU),
    Marketplace("A19VAU5U5O7RUS", "Singapore", "SG", Region.FE),
    Marketplace("A39IBJ37TRP1C6", "Australia", "AU", Region.FE),
    Marketplace("A1VC38T7YXB528", "Japan", "JP", Region.FE),
)

BY_ID: dict[str, Marketplace] = {m.id: m for m in MARKETPLACES}
BY_COUNTRY_CODE: dict[str, Marketplace] = {m.country_code: m for m in MARKETPLACES}


def marketplace(marketplace_id: str) -> Marketplace:
    """The marketplace with this id; KeyError names the unknown id."""
    try:
        return BY_ID[marketplace_id]
    except KeyError:
        raise KeyError(f"unknown Amazon marketplace id {marketplace_id!r}") from None


def region_of(marketplace_id: str) -> Region:
    """The SP-API region that serves a marketplace; KeyError for an unknown id."""
    return marketplace(marketplace_id).region
