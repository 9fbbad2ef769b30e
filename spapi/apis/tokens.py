"""Tokens API 2021-03-01: createRestrictedDataToken."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spapi.credentials import SellingPartner
from spapi.models.tokens import CreateRestrictedDataTokenResponse
from spapi.operation import Operation
from spapi.requester import Requester
from spapi.restricted import RestrictedResource

CREATE_RDT = Operation.of("tokens_2021-03-01.createRestrictedDataToken")


class TokensApi:
    """createRestrictedDataToken, uncached (spapi.rdt caches the tokens)."""

    def __init__(self, requester: Requester, *, target_application: str | None = None) -> None:
        self._requester = requester
        self._target_application = target_application

    async def create_restricted_data_token(
        self, partner: SellingPartner, resources: Sequence[RestrictedResource]
    ) -> CreateRestrictedDataTokenResponse:
        body: dict[str, Any] = {"restrictedResources": [r.as_json() for r in resources]}
        if self._target_application:
            body["targetApplication"] = self._target_application
        response = await self._requester.request(CREATE_RDT, partner, json=body)
        return CreateRestrictedDataTokenResponse.model_validate(response.json())
