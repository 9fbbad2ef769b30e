"""Notifications API v1: destinations (grantless) and subscriptions (per selling partner)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter

from spapi.apis.result import ApiResult
from spapi.credentials import GRANTLESS, Principal, SellingPartner
from spapi.errors import NotFound
from spapi.models.notifications_api import (
    Destination,
    ProcessingDirective,
    Subscription,
    SubscriptionsPage,
    payload_of,
)
from spapi.operation import Operation
from spapi.requester import Requester

GET_SUBSCRIPTIONS = Operation.of("notifications.getSubscriptions")
GET_SUBSCRIPTION = Operation.of("notifications.getSubscription")
CREATE_SUBSCRIPTION = Operation.of("notifications.createSubscription")
GET_SUBSCRIPTION_BY_ID = Operation.of("notifications.getSubscriptionById")
DELETE_SUBSCRIPTION_BY_ID = Operation.of("notifications.deleteSubscriptionById")
GET_DESTINATIONS = Operation.of("notifications.getDestinations")
CREATE_DESTINATION = Operation.of("notifications.createDestination")
GET_DESTINATION = Operation.of("notifications.getDestination")
DELETE_DESTINATION = Operation.of("notifications.deleteDestination")

_DESTINATIONS = TypeAdapter(list[Destination])

# getSubscriptions' pageSize bounds (the model: minimum 30, maximum 100, default 30).
MIN_PAGE_SIZE = 30
MAX_PAGE_SIZE = 100


class NotificationsApi:
    """Destinations (grantless) and subscriptions (per selling partner)."""

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    # Destinations: grantless (client_credentials with the notifications scope).

    async def get_destinations(self) -> ApiResult[list[Destination]]:
        response = await self._requester.request(GET_DESTINATIONS, GRANTLESS)
        raw = response.json()
        return ApiResult.of(_DESTINATIONS.validate_python(payload_of(raw) or []), raw, response)

    async def get_destination(self, destination_id: str) -> ApiResult[Destination]:
        response = await self._requester.request(
            GET_DESTINATION, GRANTLESS, path_params={"destinationId": destination_id}
        )
        raw = response.json()
        return ApiResult.of(Destination.model_validate(payload_of(raw)), raw, response)

    async def create_destination(
        self,
        name: str,
        *,
        sqs_arn: str | None = None,
        event_bridge_account_id: str | None = None,
        event_bridge_region: str | None = None,
    ) -> ApiResult[Destination]:
        """Create an SQS or EventBridge destination; a duplicate raises Conflict (409)."""
        if (sqs_arn is None) == (event_bridge_account_id is None):
            raise ValueError("a destination is either an SQS queue ARN or an EventBridge account id + region")
        spec: dict[str, Any]
        if sqs_arn is not None:
            spec = {"sqs": {"arn": sqs_arn}}
        else:
            if not event_bridge_region:
                raise ValueError("an EventBridge destination needs its AWS region")
            spec = {"eventBridge": {"accountId": event_bridge_account_id, "region": event_bridge_region}}
        response = await self._requester.request(
            CREATE_DESTINATION, GRANTLESS, json={"name": name, "resourceSpecification": spec}
        )
        raw = response.json()
        return ApiResult.of(Destination.model_validate(payload_of(raw)), raw, response)

    async def delete_destination(self, destination_id: str) -> None:
        await self._requester.request(
            DELETE_DESTINATION, GRANTLESS, path_params={"destinationId": destination_id}
        )

    # Subscriptions: the selling partner's token, except by-id calls which accept either (see below).

    async def get_subscription(
        self, partner: SellingPartner, notification_type: str, *, payload_version: str | None = None
    ) -> ApiResult[Subscription] | None:
        """The partner's subscription to this type, or None when there is none (404)."""
        try:
            response = await self._requester.request(
                GET_SUBSCRIPTION,
                partner,
                path_params={"notificationType": notification_type},
                query={"payloadVersion": payload_version},
            )
        except NotFound:
            return None
        raw = response.json()
        payload = payload_of(raw)
        if not payload:
            return None
        return ApiResult.of(Subscription.model_validate(payload), raw, response)

    async def get_subscriptions(
        self,
        partner: SellingPartner,
        notification_types: Sequence[str],
        *,
        payload_version: str | None = None,
        page_size: int | None = None,
    ) -> list[Subscription]:
        """Every subscription of the partner to the type, across payload versions unless ``payload_version``
        is given, following nextToken. Several subscriptions to one type differ by their processing
        directive (filter expressions, event filters).

        The model takes the types as a list but allows one per request (``maxItems: 1``), and ``pageSize``
        from 30 to 100 (default 30): anything else is a ValueError before any call.
        """
        if len(notification_types) != 1 or isinstance(notification_types, str):
            raise ValueError(
                "getSubscriptions takes exactly one notification type per request (the model's maxItems is 1)"
            )
        if page_size is not None and not MIN_PAGE_SIZE <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(
                f"getSubscriptions' pageSize is {MIN_PAGE_SIZE} to {MAX_PAGE_SIZE}, not {page_size}"
            )
        found: list[Subscription] = []
        next_token: str | None = None
        while True:
            response = await self._requester.request(
                GET_SUBSCRIPTIONS,
                partner,
                query={
                    "notificationTypes": list(notification_types),
                    "payloadVersion": payload_version,
                    "pageSize": page_size,
                    "nextToken": next_token,
                },
            )
            page = SubscriptionsPage.model_validate(payload_of(response.json()) or {})
            found.extend(page.subscriptions)
            next_token = page.next_token
            if not next_token:
                return found

    async def create_subscription(
        self,
        partner: SellingPartner,
        notification_type: str,
        *,
        payload_version: str,
        destination_id: str,
        processing_directive: ProcessingDirective | None = None,
    ) -> ApiResult[Subscription]:
        """Subscribe; an existing subscription for this type raises Conflict (409)."""
        body: dict[str, Any] = {"payloadVersion": payload_version, "destinationId": destination_id}
        if processing_directive is not None:
            body["processingDirective"] = processing_directive.model_dump(by_alias=True, exclude_none=True)
        response = await self._requester.request(
            CREATE_SUBSCRIPTION, partner, path_params={"notificationType": notification_type}, json=body
        )
        raw = response.json()
        return ApiResult.of(Subscription.model_validate(payload_of(raw)), raw, response)

    # The model marks the by-id operations grantless; Amazon's current docs say they take the seller's
    # token. Callers choose: GRANTLESS by default, or pass the selling partner.

    async def get_subscription_by_id(
        self, notification_type: str, subscription_id: str, *, principal: Principal = GRANTLESS
    ) -> ApiResult[Subscription]:
        response = await self._requester.request(
            GET_SUBSCRIPTION_BY_ID,
            principal,
            path_params={"notificationType": notification_type, "subscriptionId": subscription_id},
        )
        raw = response.json()
        return ApiResult.of(Subscription.model_validate(payload_of(raw)), raw, response)

    async def delete_subscription_by_id(
        self, notification_type: str, subscription_id: str, *, principal: Principal = GRANTLESS
    ) -> None:
        await self._requester.request(
            DELETE_SUBSCRIPTION_BY_ID,
            principal,
            path_params={"notificationType": notification_type, "subscriptionId": subscription_id},
        )
