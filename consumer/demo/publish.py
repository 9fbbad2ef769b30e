"""Publishing the demo stream: straight to the queue, or as partner events on the event bus."""

from __future__ import annotations

from collections.abc import Sequence

import aioboto3

from consumer.demo.local_queues import DemoQueues
from consumer.demo.stream import EVENT_SOURCE, Delivery


async def publish(session: aioboto3.Session, queues: DemoQueues, deliveries: Sequence[Delivery]) -> None:
    """Send the deliveries in order: to the queue, or as partner events on the demo's bus."""
    async with session.client("sqs") as sqs, session.client("events") as events:
        for delivery in deliveries:
            if delivery.via_eventbridge:
                result = await events.put_events(
                    Entries=[
                        {
                            "Source": EVENT_SOURCE,
                            "DetailType": delivery.detail_type or "",
                            "Detail": delivery.body,
                            "EventBusName": queues.bus,
                        }
                    ]
                )
                if result["FailedEntryCount"]:
                    raise RuntimeError(f"EventBridge refused the demo event: {result['Entries']}")
            else:
                await sqs.send_message(QueueUrl=queues.url, MessageBody=delivery.body)
