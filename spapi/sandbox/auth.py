"""Which access token an operation accepts: seller LWA token, grantless token, or a covering RDT."""

from __future__ import annotations

from dataclasses import dataclass

from spapi.model_catalog import OperationSpec
from spapi.sandbox.errors import DETAILS_EXPIRED, DETAILS_INVALID
from spapi.sandbox.tokens import IssuedToken, TokenKind

# The models call these grantless, but Amazon's documentation has since said they take a seller's token too;
# real clients do both, so the fake accepts both.
EITHER_TOKEN = frozenset({"notifications.getSubscriptionById", "notifications.deleteSubscriptionById"})

# The client_credentials scope a grantless token needs, per API.
GRANTLESS_SCOPES = {"notifications": "sellingpartnerapi::notifications"}
KNOWN_SCOPES = frozenset(
    {"sellingpartnerapi::notifications", "sellingpartnerapi::client_credential:rotation"}
)


@dataclass(frozen=True)
class Authorization:
    """Who a token identifies (kept even when refused, so the request log shows who tried) and the verdict."""

    token_kind: TokenKind | None
    selling_partner_id: str | None
    allowed: bool
    # The 403 ``details`` when refused (None: Amazon sends none).
    details: str | None = None
    data_elements: tuple[str, ...] | None = None


def authorize(
    spec: OperationSpec, issued: IssuedToken | None, now: float, method: str, path_segments: list[str]
) -> Authorization:
    """Decide whether the token (already looked up) may call ``spec`` on this decoded path."""
    if issued is None:
        return Authorization(None, None, allowed=False, details=DETAILS_INVALID)
    kind, partner = issued.kind, issued.selling_partner_id
    if now >= issued.expires_at:
        return Authorization(kind, partner, allowed=False, details=DETAILS_EXPIRED)
    if kind == "rdt":
        resource = issued.covering(method, path_segments)
        if resource is None or (spec.grantless and spec.key not in EITHER_TOKEN):
            return Authorization(kind, partner, allowed=False)
        return Authorization(kind, partner, allowed=True, data_elements=resource.data_elements)
    if spec.key in EITHER_TOKEN:
        accepted = kind == "seller" or _scope_ok(spec, issued)
    elif spec.grantless:
        accepted = _scope_ok(spec, issued)
    else:
        accepted = kind == "seller"
    return Authorization(kind, partner, allowed=accepted)


def _scope_ok(spec: OperationSpec, issued: IssuedToken) -> bool:
    if issued.kind != "grantless":
        return False
    needed = GRANTLESS_SCOPES.get(spec.api)
    return needed is None or issued.scope == needed
