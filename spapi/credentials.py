"""Whose authority a call runs under: a selling partner's refresh token, or the app's grantless scope."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

from pydantic import SecretStr

NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"


@dataclass(frozen=True)
class SellingPartner:
    """A seller (``A1...``) or vendor account (``amzn1.vg.*``) that authorised our application.

    The refresh token is a SecretStr, so reprs and logs show ``**********``.
    """

    id: str
    refresh_token: SecretStr = field(repr=False)

    @cached_property
    def cache_key(self) -> str:
        # Cache keys must not hold the token itself: a hash identifies it without revealing it (computed
        # once per partner object, not on every call).
        digest = hashlib.sha256(self.refresh_token.get_secret_value().encode()).hexdigest()[:16]
        return f"refresh:{digest}"

    @property
    def label(self) -> str:
        return self.id


@dataclass(frozen=True)
class Grantless:
    """The application itself, for grantless operations (client_credentials grant)."""

    scope: str = NOTIFICATIONS_SCOPE

    @property
    def cache_key(self) -> str:
        return f"scope:{self.scope}"

    @property
    def label(self) -> str:
        return f"grantless ({self.scope})"


Principal = SellingPartner | Grantless
GRANTLESS = Grantless()
