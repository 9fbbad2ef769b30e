"""What went wrong for one seller and type, said as the operator's next step."""

from __future__ import annotations

from dataclasses import dataclass

from spapi.errors import InvalidGrant, Unauthorized
from store.seller_directory import UnknownSeller


class ManagerError(RuntimeError):
    """Nothing can proceed (e.g. the application may not manage destinations); the message says why."""


@dataclass(frozen=True)
class Failure:
    """One seller and type (or the grantless calls) that could not be read or changed, and why."""

    seller_id: str | None
    notification_type: str | None
    message: str

    def describe(self) -> str:
        who = self.seller_id or "grantless"
        return f"{who} {self.notification_type or '(all types)'}: {self.message}"


def explain(error: BaseException, notification_type: str | None = None) -> str:
    """An error as the operator's next step."""
    if isinstance(error, UnknownSeller):
        return str(error)
    if isinstance(error, InvalidGrant):
        return (
            f"{error}; the seller must authorise the application again, then store the new refresh token "
            "with `spapi-notify sellers add`"
        )
    if isinstance(error, Unauthorized):
        what = f" {notification_type}" if notification_type else ""
        return (
            f"{error}; missing permissions: the application needs the role that grants{what} notifications "
            "(Developer Central > edit app > roles), and the seller must re-authorise after roles change"
        )
    return str(error)
