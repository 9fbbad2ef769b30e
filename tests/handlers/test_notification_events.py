"""Types without a dedicated handler: every official sample kept in ``notification_events``, through the loop.

Each sample is sent twice (Amazon and SQS both duplicate): one row each, the duplicate skipped by the ledger,
and one ``insert`` change per row in the change feed. A payload that breaks its type's published schema is
dead-lettered with the field named.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.notification_events import EventTypes, NotificationEventsHandler
from spapi.model_catalog import notification_schema_files
from spapi.notifications import parse_notification
from spapi.notifications.schemas import load_schema
from store.tables import CHANGES, NOTIFICATION_EVENTS, LedgerStatus
from tests.builders import example, notification_id_of, set_ids
from tests.fixtures.daemons import daemon_settings, running
from tests.fixtures.polling import eventually
from tests.fixtures.queues import Queues, drain, queue_depth, send
from tests.fixtures.tables import ledger, rows

# Types with a dedicated handler (handlers.register): their samples are tested with their handlers.
HANDLED = {
    "ORDER_CHANGE",
    "LISTINGS_ITEM_STATUS_CHANGE",
    "REPORT_PROCESSING_FINISHED",
    "FEED_PROCESSING_FINISHED",
    "FBA_OUTBOUND_SHIPMENT_STATUS",
}
REASON = "spapi-notify.reason"
ERROR = "spapi-notify.error"


def _type_of(notification: dict[str, Any]) -> str:
    return str(notification.get("NotificationType") or notification.get("notificationType"))


def unhandled_samples() -> list[dict[str, Any]]:
    """Every official sample of every type without a dedicated handler, each with a fresh notification id.

    FBA_INVENTORY_AVAILABILITY_CHANGES's file has no top-level example, only a payload example: it is
    wrapped in the envelope its schema describes. B2B_ANY_OFFER_CHANGED's file has no example at all.
    """
    samples = []
    for path in notification_schema_files():
        for index in range(len(json.loads(path.read_text(encoding="utf-8")).get("examples", []))):
            sample = example(path.name, index)
            if _type_of(sample) not in HANDLED:
                samples.append(set_ids(sample))
    inventory = load_schema("FBAInventoryAvailabilityChangeNotification")
    for payload in inventory["properties"]["Payload"]["examples"]:
        samples.append(
            set_ids(
                {
                    "NotificationVersion": "1.0",
                    "NotificationType": "FBA_INVENTORY_AVAILABILITY_CHANGES",
                    "PayloadVersion": "1.0",
                    "EventTime": "2020-07-13T19:42:04.284Z",
                    "Payload": payload,
                    "NotificationMetadata": {
                        "SubscriptionId": "sub-inventory",
                        "PublishTime": "2020-07-13T19:42:04.284Z",
                    },
                }
            )
        )
    return samples


async def test_every_official_sample_of_every_unhandled_type_is_kept_once(
    queues: Queues, migrated_url: str, engine: AsyncEngine
) -> None:
    samples = unhandled_samples()
    kinds = {_type_of(sample) for sample in samples}
    assert len(samples) == 17
    assert len(kinds) == 16  # LISTINGS_ITEM_ISSUES_CHANGE has two payload versions
    broken = set_ids(example("AnyOfferChangedNotification.json"))
    del broken["Payload"]["AnyOfferChangedNotification"]["OfferChangeTrigger"]["ASIN"]
    await send(queues.url, *samples, *samples, broken)  # every sample twice

    ids = {notification_id_of(sample) for sample in samples}
    async with running(daemon_settings(queues, migrated_url, plugins="")):
        settled = await eventually(
            lambda: ledger(engine),
            lambda found: ids | {notification_id_of(broken)} <= set(found),
            what="settled",
        )
        await eventually(lambda: queue_depth(queues.url), lambda depth: depth == (0, 0), what="all deleted")

    assert {settled[i] for i in ids} == {LedgerStatus.PROCESSED.value}
    stored = {row["notification_id"]: row for row in await rows(engine, NOTIFICATION_EVENTS)}
    assert set(stored) == ids  # one row each: the duplicates were skipped, the broken one is not there
    for sample in samples:
        row = stored[notification_id_of(sample)]
        notification = parse_notification(sample)
        assert row["notification_type"] == notification.notification_type
        assert row["payload_version"] == notification.payload_version
        assert row["selling_partner_id"] == notification.selling_partner_id
        assert row["event_time"] == notification.event_time
        assert row["payload"] == sample.get("Payload", sample.get("payload"))
    offers = stored[notification_id_of(next(s for s in samples if _type_of(s) == "ANY_OFFER_CHANGED"))]
    assert (offers["selling_partner_id"], offers["marketplace_id"]) == ("A3TH9S8BH6GOGM", "ATVPDKIKX0DER")

    changes = await rows(engine, CHANGES)
    assert sorted(change["notification_id"] for change in changes) == sorted(ids)
    assert {(change["table_name"], change["operation"]) for change in changes} == {
        ("notification_events", "insert")
    }
    assert sorted(change["change_id"] for change in changes) == list(range(1, len(ids) + 1))

    [dead] = await drain(queues.dlq_url)
    attributes = dead["MessageAttributes"]
    assert attributes[REASON]["StringValue"] == "schema_violation"
    assert attributes[ERROR]["StringValue"].endswith(
        "Payload.AnyOfferChangedNotification.OfferChangeTrigger.ASIN: Field required"
    )


@pytest.mark.parametrize(
    ("types", "kept"),
    [
        (EventTypes(), True),
        (EventTypes.of(not_=["FEE_PROMOTION"]), False),
        (EventTypes.of(only=["ANY_OFFER_CHANGED"]), False),
        (EventTypes.of(only=["FEE_PROMOTION"]), True),
        (EventTypes.of(only=[]), False),
    ],
)
async def test_types_turned_off_are_ignored_as_before(types: EventTypes, kept: bool) -> None:
    fee = parse_notification(set_ids(example("FeePromotionNotification.json")))

    effect = await NotificationEventsHandler(types).prepare(fee)

    assert (effect.status is LedgerStatus.PROCESSED) == kept
    assert (effect.apply is not None) == kept
