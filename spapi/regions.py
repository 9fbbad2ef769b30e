"""SP-API selling regions: production and sandbox hosts, and the AWS region each is signed for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"  # noqa: S105 (a URL, not a password)


class Region(StrEnum):
    """An SP-API selling region: North America, Europe or the Far East."""

    NA = "na"
    EU = "eu"
    FE = "fe"


@dataclass(frozen=True)
class RegionEndpoints:
    """A region's production and sandbox base URLs, and the AWS region its requests are signed for."""

    region: Region
    production: str
    sandbox: str
    aws_region: str

    def base_url(self, *, sandbox: bool) -> str:
        return self.sandbox if sandbox else self.production


ENDPOINTS: dict[Region, RegionEndpoints] = {
    Region.NA: RegionEndpoints(
        Region.NA,
        "https://sellingpartnerapi-na.amazon.com",
        "https://sandbox.sellingpartnerapi-na.amazon.com",
        "us-east-1",
    ),
    Region.EU: RegionEndpoints(
        Region.EU,
        "https://sellingpartnerapi-eu.amazon.com",
        "https://sandbox.sellingpartnerapi-eu.amazon.com",
        "eu-west-1",
    ),
    Region.FE: RegionEndpoints(
        Region.FE,
        "https://sellingpartnerapi-fe.amazon.com",
        "https://sandbox.sellingpartnerapi-fe.amazon.com",
        "us-west-2",
    ),
}
