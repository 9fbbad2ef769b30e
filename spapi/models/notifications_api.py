"""Notifications API v1: destinations and subscriptions."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from spapi.models.base import CamelModel


class SqsResource(CamelModel):
    """An SQS destination: the queue's ARN (SqsResource)."""

    arn: str


class EventBridgeResource(CamelModel):
    """An EventBridge destination: the partner event source's name, its region and AWS account."""

    name: str
    region: str
    account_id: str


class DestinationResource(CamelModel):
    """What a destination delivers to: an SQS queue or EventBridge (DestinationResource)."""

    sqs: SqsResource | None = None
    event_bridge: EventBridgeResource | None = None


class Destination(CamelModel):
    """A destination as getDestinations, getDestination and createDestination return it."""

    name: str
    destination_id: str
    resource: DestinationResource


class EventBridgeResourceSpecification(CamelModel):
    """The AWS account and region of an EventBridge destination to create."""

    region: str
    account_id: str


class DestinationResourceSpecification(CamelModel):
    """The resource of a destination to create: an SQS queue or EventBridge, one of the two."""

    sqs: SqsResource | None = None
    event_bridge: EventBridgeResourceSpecification | None = None


class AggregationSettings(CamelModel):
    """How long Amazon aggregates notifications before sending them (AggregationSettings)."""

    aggregation_time_period: str


class EventFilter(CamelModel):
    """A processing directive's eventFilter: marketplaces, order change types, aggregation."""

    event_filter_type: str
    marketplace_ids: list[str] | None = None
    order_change_types: list[str] | None = None
    aggregation_settings: AggregationSettings | None = None


class ProcessingDirective(CamelModel):
    """A subscription's processingDirective: an eventFilter or a filterExpression, not both."""

    event_filter: EventFilter | None = None
    filter_expression: str | None = None


class Subscription(CamelModel):
    """A subscription as getSubscription, getSubscriptions and createSubscription return it."""

    subscription_id: str
    payload_version: str
    destination_id: str
    processing_directive: ProcessingDirective | None = None


class SubscriptionsPage(CamelModel):
    """One page of getSubscriptions; ``next_token`` is None on the last."""

    subscriptions: list[Subscription] = Field(default_factory=list)
    next_token: str | None = None


def payload_of(body: Any) -> Any:
    """Notifications API responses wrap their result in ``payload``."""
    if isinstance(body, dict) and "payload" in body:
        return body["payload"]
    return body
