"""Shared base for SP-API response models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields kept (Amazon adds fields over time)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class PascalModel(BaseModel):
    """PascalCase on the wire (Orders v0), snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=lambda name: "".join(part.capitalize() for part in name.split("_")),
        populate_by_name=True,
        extra="allow",
    )
