"""Notifications API v1: destinations and subscriptions."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from spapi.models.base import CamelModel


class SqsResource(CamelModel):
    arn: str


class EventBridgeResource(CamelModel):
    name: str
    region: str
    account_id: str


class DestinationResource(CamelModel):
    sqs: SqsResource | None = None
    event_bridge: EventBridgeResource | None = None


class Destination(CamelModel):
    name: str
    destination_id: str
    resource: DestinationResource


class EventBridgeResourceSpecification(CamelModel):
    region: str
    account_id: str


class DestinationResourceSpecification(CamelModel):
    sqs: SqsResource | None = None
    event_bridge: EventBridgeResourceSpecification | None = None


class AggregationSettings(CamelModel):
    aggregation_time_period: str


class EventFilter(CamelModel):
    event_filter_type: str
    marketplace_ids: list[str] | None = None
    order_change_types: list[str] | None = None
    aggregation_settings: AggregationSettings | None = None


class ProcessingDirective(CamelModel):
    event_filter: EventFilter | None = None
    filter_expression: str | None = None


class Subscription(CamelModel):
    subscription_id: str
    payload_version: str
    destination_id: str
    processing_directive: ProcessingDirective | None = None


class SubscriptionsPage(CamelModel):
    subscriptions: list[Subscription] = Field(default_factory=list)
    next_token: str | None = None


def payload_of(body: Any) -> Any:
    """Notifications API responses wrap their result in ``payload``."""
    if isinstance(body, dict) and "payload" in body:
        return body["payload"]
    return body
