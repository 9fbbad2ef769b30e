"""Access tokens the fake has issued: LWA seller tokens, grantless tokens and Restricted Data Tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote

TokenKind = Literal["seller", "grantless", "rdt"]

# Amazon's prefixes, so a client that logs a prefix for debugging sees the same shapes as in production.
_PREFIXES: dict[TokenKind, str] = {"seller": "Atza|", "grantless": "Atc|", "rdt": "Atz.sprdt|"}


@dataclass(frozen=True)
class RestrictedResource:
    """One entry of an RDT's ``restrictedResources``: a method and a path that may hold ``{placeholders}``."""

    method: str
    path: str
    data_elements: tuple[str, ...] = ()

    def covers(self, method: str, path_segments: list[str]) -> bool:
        if method.upper() != self.method.upper():
            return False
        mine = self.path.removeprefix("/").split("/")
        if len(mine) != len(path_segments):
            return False
        for pattern, actual in zip(mine, path_segments, strict=True):
            if pattern.startswith("{") and pattern.endswith("}"):
                if not actual:
                    return False
            elif unquote(pattern) != actual:
                return False
        return True


@dataclass
class IssuedToken:
    """A token the sandbox issued: its kind, expiry (state clock), and whom or what it is for."""

    kind: TokenKind
    expires_at: float
    selling_partner_id: str | None = None
    scope: str | None = None
    # Only for RDTs: what the token may be used for.
    resources: tuple[RestrictedResource, ...] = field(default=())

    def covering(self, method: str, path_segments: list[str]) -> RestrictedResource | None:
        for resource in self.resources:
            if resource.covers(method, path_segments):
                return resource
        return None


def new_token(kind: TokenKind) -> str:
    """A fresh random token, with Amazon's prefix for its kind."""
    return _PREFIXES[kind] + secrets.token_urlsafe(48)
