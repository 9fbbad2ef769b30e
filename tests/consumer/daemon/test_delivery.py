"""The real loop over the moto server and a real database: every envelope, duplicates, unknown types."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from store.tables import NOTIFICATION_EVENTS
from tests.builders import eventbridge_event, example, notification_id_of, set_ids, sns_wrapped, steered
from tests.fixtures.daemons import daemon_settings, running
from tests.fixtures.metrics import metric
from tests.fixtures.polling import eventually
from tests.fixtures.queues import Queues, drain, queue_depth, send
from tests.fixtures.tables import effects, ledger


async def test_every_envelope_is_processed_once(
    queues: Queues, migrated_url: str, engine: AsyncEngine
) -> None:
    raw, bridged, bridged_text, via_sns, sns_bridge = (steered() for _ in range(5))
    await send(
        queues.url,
        raw,
        eventbridge_event(bridged),
        eventbridge_event(bridged_text, detail_as_string=True),
        sns_wrapped(json.dumps(via_sns)),
        sns_wrapped(json.dumps(eventbridge_event(sns_bridge))),
    )
    ids = {
        n["NotificationMetadata"]["NotificationId"] for n in (raw, bridged, bridged_text, via_sns, sns_bridge)
    }
    async with running(daemon_settings(queues, migrated_url)) as daemon:
        await eventually(lambda: ledger(engine), lambda rows: set(rows) == ids, what="all five settled")
        await eventually(lambda: queue_depth(queues.url), lambda depth: depth == (0, 0), what="all deleted")
    assert set((await ledger(engine)).values()) == {"processed"}
    assert await effects(engine) == dict.fromkeys(ids, 1)
    assert metric(daemon.metrics, "spapi_notify_notifications_processed_total", type="SPAPI_NOTIFY_TEST") == 5
    assert await drain(queues.dlq_url) == []


async def test_duplicates_are_acknowledged_without_effects(
    queues: Queues, migrated_url: str, engine: AsyncEngine
) -> None:
    twice = steered()
    thrice = steered()
    await send(queues.url, twice, thrice, twice, eventbridge_event(thrice), sns_wrapped(json.dumps(thrice)))
    async with running(daemon_settings(queues, migrated_url)) as daemon:
        await eventually(lambda: queue_depth(queues.url), lambda depth: depth == (0, 0), what="all deleted")
        duplicates = metric(daemon.metrics, "spapi_notify_duplicates_total", type="SPAPI_NOTIFY_TEST")
    assert await effects(engine) == {
        twice["NotificationMetadata"]["NotificationId"]: 1,
        thrice["NotificationMetadata"]["NotificationId"]: 1,
    }
    # The 3 repeats sent; SQS (and moto, under load) may hand a message out once more, counted the same way.
    assert duplicates >= 3


async def test_types_without_a_handler_are_kept_unless_turned_off_and_acknowledged(
    queues: Queues, migrated_url: str, engine: AsyncEngine
) -> None:
    fee = set_ids(example("FeePromotionNotification.json"))
    data_kiosk = set_ids(example("DataKioskQueryProcessingFinishedNotification.json"))
    await send(queues.url, fee, data_kiosk)
    settings = daemon_settings(queues, migrated_url, event_types="-DATA_KIOSK_QUERY_PROCESSING_FINISHED")
    async with running(settings):
        rows = await eventually(lambda: ledger(engine), lambda rows: len(rows) == 2)
        await eventually(lambda: queue_depth(queues.url), lambda depth: depth == (0, 0), what="all deleted")
    assert rows == {notification_id_of(fee): "processed", notification_id_of(data_kiosk): "ignored"}
    async with engine.connect() as connection:
        kept = list((await connection.execute(select(NOTIFICATION_EVENTS.c.notification_id))).scalars())
    assert kept == [notification_id_of(fee)]
    assert await drain(queues.dlq_url) == []
