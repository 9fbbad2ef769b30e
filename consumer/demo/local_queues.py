"""The demo's AWS side on the embedded emulator: the notifications queue, its DLQ, and an EventBridge rule.

The same shape as infra/cloudformation/spapi-notify.yaml: a RedrivePolicy to the DLQ (which keeps messages
14 days), a rule matching SP-API's partner event source that targets the queue, and a queue policy letting
Amazon's SP-API principal and that rule send (moto stores the policy without enforcing it; `doctor` reads it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import aioboto3

from consumer.doctor.statements import eventbridge_queue_statement, spapi_queue_statement

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
        dlq_url = (
            await sqs.create_queue(QueueName=f"{name}-dlq", Attributes={"MessageRetentionPeriod": "1209600"})
        )["QueueUrl"]
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
        rule = await events.put_rule(
            Name=f"{name}-spapi", EventBusName=bus, EventPattern=json.dumps(SPAPI_EVENT_PATTERN)
        )
        await events.put_targets(
            Rule=f"{name}-spapi", EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}]
        )
        statements = [spapi_queue_statement(arn), eventbridge_queue_statement(arn, rule["RuleArn"])]
        policy = {"Version": "2012-10-17", "Statement": statements}
        await sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return DemoQueues(url=url, arn=arn, dlq_url=dlq_url, bus=bus)
