"""The demo's `subscriptions apply`: every stored seller subscribed to the three handled types."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.app.configs import seller_directory, shared_client
from consumer.demo.local_queues import DemoQueues
from consumer.settings import Settings
from subscriptions.config import DesiredConfig, parse_config
from subscriptions.manager import SubscriptionManager

HANDLED_TYPES = {
    "ORDER_CHANGE": "1.0",
    "LISTINGS_ITEM_STATUS_CHANGE": "1.0",
    "REPORT_PROCESSING_FINISHED": "2020-09-04",
}


DESIRED_STATE = "the demo's subscriptions"


def desired_state(settings: Settings, queues: DemoQueues) -> DesiredConfig:
    """The demo's desired-state file: every seller subscribed to the three handled types, on the queue."""
    return parse_config(
        {
            "region": settings.region.value,
            "destinations": {"demo-queue": {"sqs_arn": queues.arn}},
            "subscriptions": [
                {
                    "sellers": "all",
                    "destination": "demo-queue",
                    "types": [{"type": t, "payload_version": v} for t, v in HANDLED_TYPES.items()],
                }
            ],
        },
        source=DESIRED_STATE,
    )


async def subscribe(settings: Settings, engine: AsyncEngine, queues: DemoQueues) -> list[str]:
    """Apply the demo's desired state against the sandbox twice; the lines to show."""
    config = desired_state(settings, queues)
    directory = seller_directory(settings, engine)
    async with shared_client(settings, engine) as client:
        manager = SubscriptionManager(client, directory, engine, region=settings.region)
        first = await manager.apply(config)
        again = await manager.apply(config)
    lines = ["subscriptions apply:"]
    lines += [f"  {line}" for line in first.lines()]
    lines.append("subscriptions apply, again (idempotent):")
    lines += [f"  {line}" for line in again.lines()]
    return lines
