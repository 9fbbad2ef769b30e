"""The demo's AWS side on the embedded emulator: the notifications queue, its DLQ, and an EventBridge rule.

The same shape as infra/cloudformation/spapi-notify.yaml: a RedrivePolicy to the DLQ, and a rule matching
SP-API's partner event source that targets the queue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import aioboto3

SPAPI_EVENT_PATTERN = {"source": [{"prefix": "aws.partner/sellingpartnerapi.amazon.com"}]}


@dataclass(frozen=True)
class DemoQueues:
    """The demo's queue (URL and ARN), its dead-letter queue, and the event bus whose rule feeds it."""

    url: str
    arn: str
    dlq_url: str
    bus: str


async def provision(session: aioboto3.Session, name: str = "spapi-notify-demo") -> DemoQueues:
    """Create the demo's DLQ, the queue redriving to it after three receives, and the bus with its rule."""
    async with session.client("sqs") as sqs, session.client("events") as events:
        dlq_url = (await sqs.create_queue(QueueName=f"{name}-dlq"))["QueueUrl"]
        attributes = await sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
        redrive = {"deadLetterTargetArn": attributes["Attributes"]["QueueArn"], "maxReceiveCount": 3}
        url = (
            await sqs.create_queue(
                QueueName=name,
                Attributes={"VisibilityTimeout": "60", "RedrivePolicy": json.dumps(redrive)},
            )
        )["QueueUrl"]
        arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"][
            "QueueArn"
        ]
        bus = f"{name}-bus"
        await events.create_event_bus(Name=bus)
        await events.put_rule(
            Name=f"{name}-spapi", EventBusName=bus, EventPattern=json.dumps(SPAPI_EVENT_PATTERN)
        )
        await events.put_targets(
            Rule=f"{name}-spapi", EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}]
        )
    return DemoQueues(url=url, arn=arn, dlq_url=dlq_url, bus=bus)
