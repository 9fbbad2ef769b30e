"""Tokens API 2021-03-01: what createRestrictedDataToken returns."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CreateRestrictedDataTokenResponse(BaseModel):
    """A Restricted Data Token and its lifetime in seconds."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    restricted_data_token: str = Field(alias="restrictedDataToken", repr=False)
    expires_in: int = Field(alias="expiresIn")
