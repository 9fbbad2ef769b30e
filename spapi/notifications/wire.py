"""Base classes for models of Amazon's wire format.

Attributes are snake_case; each field's alias is the key Amazon sends. Unknown keys are kept
(``extra="allow"``) because Amazon adds fields to notifications without bumping the payload version: a model
must neither reject nor silently drop what it does not know yet.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


def _assume_utc(value: datetime) -> datetime:
    # Amazon documents every notification timestamp as UTC; a value without an offset would otherwise become a
    # naive datetime that compares and stores differently from the aware ones around it.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_assume_utc)]
"""An ISO-8601 timestamp (``2020-01-11T00:09:53.109Z``); always timezone-aware."""


class WireModel(BaseModel):
    """A part of a notification, validated from Amazon's keys (aliases) and kept with unknown keys."""

    model_config = ConfigDict(
        extra="allow",
        frozen=True,
        validate_by_alias=True,
        # Handlers and tests build payloads by attribute name; the wire keys stay the aliases.
        validate_by_name=True,
        serialize_by_alias=True,
    )


class TypedPayload(WireModel):
    """The payload of a notification type and version that has its own model (see ``registry``)."""

    @property
    def selling_partner_id(self) -> str | None:
        """The seller or vendor account the notification is about, when the payload names it."""
        return None
