"""FBA_OUTBOUND_SHIPMENT_STATUS through the real loop: the shipment's status, never set back by a late one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from store.tables import CHANGES, FBA_OUTBOUND_SHIPMENTS
from tests.builders import example, iso, notification_id_of, set_ids
from tests.fixtures.daemons import daemon_settings, running
from tests.fixtures.polling import eventually
from tests.fixtures.queues import Queues, send
from tests.fixtures.tables import ledger, rows

SELLER = "merchantId"  # Amazon's sample has placeholders for its ids
SHIPMENT = "DrLqQwqvb"


def status(shipment_status: str, event_time: str) -> dict[str, Any]:
    notification = set_ids(example("FBAOutboundShipmentStatusNotification.json"))
    notification["EventTime"] = event_time
    notification["Payload"]["FBAOutboundShipmentStatusNotification"]["ShipmentStatus"] = shipment_status
    return notification


async def test_an_older_status_arriving_late_never_overwrites_a_newer_one(
    queues: Queues, migrated_url: str, engine: AsyncEngine
) -> None:
    cancelled = status("Cancelled", "2026-11-23T12:00:00Z")
    created = status("Created", "2026-11-23T10:00:00Z")  # happened first, arrives second
    reopened = status("Created", "2026-11-23T13:00:00Z")

    async def deliver(notification: dict[str, Any]) -> dict[str, Any]:
        await send(queues.url, notification)
        await eventually(lambda: ledger(engine), lambda found: notification_id_of(notification) in found)
        [row] = await rows(engine, FBA_OUTBOUND_SHIPMENTS)
        return row

    async with running(daemon_settings(queues, migrated_url, plugins="")):
        first = await deliver(cancelled)
        late = await deliver(created)
        newest = await deliver(reopened)

    assert (first["seller_id"], first["amazon_shipment_id"]) == (SELLER, SHIPMENT)
    assert first["amazon_order_id"] == "113-2646096-4474645"
    assert (first["shipment_status"], first["last_event_time"]) == (
        "Cancelled",
        datetime(2026, 11, 23, 12, tzinfo=UTC),
    )
    assert late == first
    assert (newest["shipment_status"], newest["last_event_time"]) == (
        "Created",
        datetime(2026, 11, 23, 13, tzinfo=UTC),
    )
    changes = sorted(await rows(engine, CHANGES), key=lambda change: change["change_id"])
    assert [(c["operation"], c["notification_id"]) for c in changes] == [
        ("insert", notification_id_of(cancelled)),
        ("update", notification_id_of(reopened)),
    ]
    assert {c["table_name"] for c in changes} == {"fba_outbound_shipments"}


async def test_a_stored_far_future_event_time_does_not_freeze_a_shipment(
    queues: Queues, migrated_url: str, engine: AsyncEngine
) -> None:
    """A row poisoned before the EventTime check (an EventTime in 2999) takes newer real statuses."""
    now = datetime.now(UTC).replace(microsecond=0)
    first = status("Created", iso(now - timedelta(minutes=10)))
    later = status("Cancelled", iso(now - timedelta(minutes=1)))
    async with running(daemon_settings(queues, migrated_url, plugins="")):
        await send(queues.url, first)
        await eventually(lambda: ledger(engine), lambda found: notification_id_of(first) in found)
        async with engine.begin() as connection:
            await connection.execute(
                update(FBA_OUTBOUND_SHIPMENTS).values(
                    last_event_time=datetime(2999, 1, 1, tzinfo=UTC), updated_at=now - timedelta(minutes=9)
                )
            )
        await send(queues.url, later)
        await eventually(lambda: ledger(engine), lambda found: notification_id_of(later) in found)
    [row] = await rows(engine, FBA_OUTBOUND_SHIPMENTS)
    assert (row["shipment_status"], row["last_event_time"]) == ("Cancelled", now - timedelta(minutes=1))
