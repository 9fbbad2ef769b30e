"""What a typed operation returns: the parsed model, Amazon's raw JSON, and the request id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from spapi.http import HttpResponse

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ApiResult(Generic[T]):
    """The parsed model, Amazon's raw JSON, and the x-amzn-RequestId of the response."""

    data: T
    raw: Any
    request_id: str | None

    @classmethod
    def of(cls, data: T, raw: Any, response: HttpResponse) -> ApiResult[T]:
        return cls(data=data, raw=raw, request_id=response.headers.get("x-amzn-RequestId"))


def validated(model: type[M], response: HttpResponse) -> ApiResult[M]:
    """The response's whole JSON body as ``model``, with the body and the request id."""
    raw = response.json()
    return ApiResult.of(model.model_validate(raw), raw, response)
