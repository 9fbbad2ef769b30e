"""spapi: the signed, rate-limited, retrying Selling Partner API client of spapi-notify."""

from spapi.client import SpApiClient
from spapi.config import SpApiConfig
from spapi.credentials import GRANTLESS, Grantless, Principal, SellingPartner
from spapi.regions import Region

__all__ = ["GRANTLESS", "Grantless", "Principal", "Region", "SellingPartner", "SpApiClient", "SpApiConfig"]
