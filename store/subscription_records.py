"""What apply made or adopted, in the database: for ``subscriptions list`` and for routing notifications."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from spapi.models.notifications_api import Destination, ProcessingDirective, Subscription
from spapi.regions import Region
from store.engine import read_only
from store.tables.subscriptions import NOTIFICATION_DESTINATIONS, NOTIFICATION_SUBSCRIPTIONS
from store.upsert import insert

Origin = Literal["created", "adopted"]


@dataclass(frozen=True)
class SubscriptionRecord:
    """A row of notification_subscriptions: a subscription apply created or adopted."""

    subscription_id: str
    seller_id: str
    notification_type: str
    payload_version: str
    destination_id: str
    processing_directive: dict[str, Any] | None
    spapi_region: str
    origin: str
    created_at: datetime


@dataclass(frozen=True)
class DestinationRecord:
    """A row of notification_destinations: a destination apply created or adopted."""

    destination_id: str
    name: str
    kind: str
    spapi_region: str
    sqs_arn: str | None
    eventbridge_account_id: str | None
    eventbridge_region: str | None
    eventbridge_source: str | None
    origin: str
    created_at: datetime


async def seller_for_subscription(engine: AsyncEngine, subscription_id: str) -> str | None:
    """The seller a subscription belongs to, or None when apply never made or adopted it."""
    async with read_only(engine) as connection:
        found = await connection.scalar(
            select(NOTIFICATION_SUBSCRIPTIONS.c.seller_id).where(
                NOTIFICATION_SUBSCRIPTIONS.c.subscription_id == subscription_id
            )
        )
    return None if found is None else str(found)


async def record_destination(
    engine: AsyncEngine, destination: Destination, *, region: Region, origin: Origin
) -> None:
    """Insert the destination; an existing row keeps its origin and created_at."""
    resource = destination.resource
    values: dict[str, Any] = {
        "name": destination.name,
        "kind": "sqs" if resource.sqs is not None else "eventbridge",
        "spapi_region": region.value,
        "sqs_arn": resource.sqs.arn if resource.sqs is not None else None,
        "eventbridge_account_id": resource.event_bridge.account_id if resource.event_bridge else None,
        "eventbridge_region": resource.event_bridge.region if resource.event_bridge else None,
        "eventbridge_source": resource.event_bridge.name if resource.event_bridge else None,
    }
    async with engine.begin() as connection:
        statement = insert(connection, NOTIFICATION_DESTINATIONS).values(
            destination_id=destination.destination_id, origin=origin, created_at=datetime.now(UTC), **values
        )
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[NOTIFICATION_DESTINATIONS.c.destination_id], set_=values
            )
        )


def _directive(directive: ProcessingDirective | None) -> dict[str, Any] | None:
    return None if directive is None else directive.model_dump(by_alias=True, exclude_none=True)


@dataclass(frozen=True)
class SubscriptionRow:
    """A subscription to record, with its seller, its type and whether apply created or adopted it."""

    subscription: Subscription
    seller_id: str
    notification_type: str
    origin: Origin


async def record_subscriptions(
    engine: AsyncEngine, rows: Sequence[SubscriptionRow], *, region: Region
) -> None:
    """Insert or update the rows in one statement; an existing row keeps its origin and created_at."""
    if not rows:
        return
    now = datetime.now(UTC)
    updated = (
        "seller_id",
        "notification_type",
        "payload_version",
        "destination_id",
        "processing_directive",
        "spapi_region",
    )
    params = [
        {
            "subscription_id": row.subscription.subscription_id,
            "seller_id": row.seller_id,
            "notification_type": row.notification_type,
            "payload_version": row.subscription.payload_version,
            "destination_id": row.subscription.destination_id,
            "processing_directive": _directive(row.subscription.processing_directive),
            "spapi_region": region.value,
            "origin": row.origin,
            "created_at": now,
        }
        for row in rows
    ]
    async with engine.begin() as connection:
        statement = insert(connection, NOTIFICATION_SUBSCRIPTIONS)
        statement = statement.on_conflict_do_update(
            index_elements=[NOTIFICATION_SUBSCRIPTIONS.c.subscription_id],
            set_={name: statement.excluded[name] for name in updated},
        )
        await connection.execute(statement, params)


async def forget_subscription(engine: AsyncEngine, subscription_id: str) -> None:
    """Delete the subscription's row, if there is one."""
    async with engine.begin() as connection:
        await connection.execute(
            delete(NOTIFICATION_SUBSCRIPTIONS).where(
                NOTIFICATION_SUBSCRIPTIONS.c.subscription_id == subscription_id
            )
        )


async def forget_destination(engine: AsyncEngine, destination_id: str) -> None:
    """Delete the destination's row, if there is one."""
    async with engine.begin() as connection:
        await connection.execute(
            delete(NOTIFICATION_DESTINATIONS).where(
                NOTIFICATION_DESTINATIONS.c.destination_id == destination_id
            )
        )


async def list_subscriptions(engine: AsyncEngine, region: Region | None = None) -> list[SubscriptionRecord]:
    """The recorded subscriptions by seller and type; only those of ``region`` when given."""
    table = NOTIFICATION_SUBSCRIPTIONS
    query = select(table).order_by(table.c.seller_id, table.c.notification_type, table.c.subscription_id)
    if region is not None:
        query = query.where(table.c.spapi_region == region.value)
    async with read_only(engine) as connection:
        rows = (await connection.execute(query)).mappings().all()
    return [SubscriptionRecord(**dict(row)) for row in rows]


async def list_destinations(engine: AsyncEngine, region: Region | None = None) -> list[DestinationRecord]:
    """The recorded destinations by name; only those of ``region`` when given."""
    table = NOTIFICATION_DESTINATIONS
    query = select(table).order_by(table.c.name, table.c.destination_id)
    if region is not None:
        query = query.where(table.c.spapi_region == region.value)
    async with read_only(engine) as connection:
        rows = (await connection.execute(query)).mappings().all()
    return [DestinationRecord(**dict(row)) for row in rows]


async def find_subscription(engine: AsyncEngine, subscription_id: str) -> SubscriptionRecord | None:
    """The recorded subscription with this id, or None."""
    table = NOTIFICATION_SUBSCRIPTIONS
    async with read_only(engine) as connection:
        row = (
            (await connection.execute(select(table).where(table.c.subscription_id == subscription_id)))
            .mappings()
            .first()
        )
    return None if row is None else SubscriptionRecord(**dict(row))
