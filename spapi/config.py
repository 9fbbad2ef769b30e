"""Configuration of the SP-API client (built from the SPAPI_NOTIFY_* settings by the application)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from spapi.model_catalog import UsagePlan
from spapi.regions import ENDPOINTS, LWA_TOKEN_URL, Region

_HOST_REGION = re.compile(r"sellingpartnerapi-(na|eu|fe)\.amazon\.com$")


class SpApiConfig(BaseModel):
    """The SP-API client's settings: LWA credentials, region or endpoint, SigV4, rate limits, retries.

    Durations are in seconds.
    """

    model_config = ConfigDict(frozen=True)

    lwa_client_id: str
    lwa_client_secret: SecretStr
    region: Region = Region.NA
    endpoint: str | None = Field(default=None, description="Override of the SP-API base URL")
    lwa_endpoint: str = LWA_TOKEN_URL
    sandbox: bool = False
    application_id: str | None = None

    sigv4: bool = False
    sigv4_role_arn: str | None = None
    sigv4_role_session_name: str = "spapi-notify"

    rate_limit_max_wait: float | None = 60.0
    rate_limit_overrides: dict[str, UsagePlan] = Field(default_factory=dict)
    # Pace this fraction below Amazon's rate, and keep this many seconds of arrival jitter's worth of the
    # burst unspent (see spapi.pacing.Headroom).
    rate_limit_margin: float = Field(default=0.05, ge=0, lt=1)
    rate_limit_jitter: float = Field(default=0.1, ge=0)
    max_attempts: int = 5
    backoff_initial: float = 0.5
    backoff_max: float = 20.0
    timeout: float = 30.0
    token_refresh_skew: float = 60.0

    @property
    def base_url(self) -> str:
        if self.endpoint:
            return self.endpoint.rstrip("/")
        return ENDPOINTS[self.region].base_url(sandbox=self.sandbox)

    @property
    def aws_region(self) -> str:
        """The AWS region SigV4 signs for: the region of the endpoint actually called."""
        host = urlsplit(self.base_url).hostname or ""
        match = _HOST_REGION.search(host)
        region = Region(match.group(1)) if match else self.region
        return ENDPOINTS[region].aws_region
