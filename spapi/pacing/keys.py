"""Whose budget a call spends: Amazon meters (application, selling partner, region, operation), and for
some operations (application, region, operation) as well."""

from __future__ import annotations

from dataclasses import dataclass

GRANTLESS_PARTNER = "grantless"
ANY_PARTNER = "*"


@dataclass(frozen=True)
class CallKey:
    """One call's identity for pacing: the application (LWA client id), the SP-API region, the selling
    partner (or ``grantless``) and the operation key (``orders_2026-01-01.getOrder``)."""

    partner: str
    operation: str
    region: str = ""
    application: str = ""

    @property
    def budget(self) -> str:
        """The budget key of the selling partner's bucket."""
        return f"{self.application}|{self.region}|{self.partner}|{self.operation}"

    @property
    def application_budget(self) -> str:
        """The budget key of the application-wide bucket of the operation."""
        return f"{self.application}|{self.region}|{ANY_PARTNER}|{self.operation}"

    @property
    def label(self) -> str | None:
        """The selling partner as errors and logs name it (None for grantless calls)."""
        return None if self.partner == GRANTLESS_PARTNER else self.partner
