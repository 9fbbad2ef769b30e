"""The SQS calls the daemon makes, on one aioboto3 client: receive, delete, visibility, dead-letter.

Endpoint, region and credentials come from the standard AWS configuration (AWS_ENDPOINT_URL, ...).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from botocore.exceptions import ClientError

from consumer.intake.message import SqsMessage

log = structlog.get_logger("consumer.intake.queue")

MAX_BATCH = 10  # SQS's limit for ReceiveMessage, DeleteMessageBatch and ChangeMessageVisibilityBatch
ALL_ATTRIBUTES = ("All",)
# The one system attribute the daemon reads (SqsMessage.receive_count, for the backoff): asking for all of
# them makes every answer longer to send and to parse. Message attributes are always asked for: a
# dead-lettered message carries its own on to the DLQ.
DAEMON_SYSTEM_ATTRIBUTES = ("ApproximateReceiveCount",)


class QueueConfigurationError(RuntimeError):
    """The queue (or its dead-letter queue) cannot be used as configured; the message says how to fix it."""


@dataclass(frozen=True)
class QueueAttributes:
    """A queue's ARN, visibility timeout in seconds, and RedrivePolicy (None when it has none)."""

    arn: str
    visibility_timeout: int
    dead_letter_arn: str | None
    max_receive_count: int | None


class Queue:
    """One queue on a shared aiobotocore SQS client; ``on_call`` (when given) is told the name of every SQS
    operation this queue sends, failed or not (the daemon counts them)."""

    def __init__(self, client: Any, url: str, *, on_call: Callable[[str], None] | None = None) -> None:
        self.client = client
        self.url = url
        self._on_call = on_call

    def _calling(self, operation: str) -> None:
        if self._on_call is not None:
            self._on_call(operation)

    def __repr__(self) -> str:
        return f"Queue({self.url!r})"

    async def attributes(self) -> QueueAttributes:
        self._calling("GetQueueAttributes")
        response = await self.client.get_queue_attributes(
            QueueUrl=self.url, AttributeNames=["QueueArn", "VisibilityTimeout", "RedrivePolicy"]
        )
        attrs: Mapping[str, str] = response.get("Attributes", {})
        redrive = json.loads(attrs["RedrivePolicy"]) if attrs.get("RedrivePolicy") else {}
        max_receive = redrive.get("maxReceiveCount")
        return QueueAttributes(
            arn=attrs["QueueArn"],
            visibility_timeout=int(attrs.get("VisibilityTimeout", "30")),
            dead_letter_arn=redrive.get("deadLetterTargetArn"),
            max_receive_count=int(max_receive) if max_receive is not None else None,
        )

    async def receive(
        self,
        max_messages: int,
        wait_seconds: int,
        visibility_timeout: int | None,
        *,
        system_attributes: Sequence[str] = ALL_ATTRIBUTES,
    ) -> list[SqsMessage]:
        """Up to ``max_messages`` messages, with their message attributes and the ``system_attributes`` asked
        for (``All`` by default; the daemon asks only for those it reads, DAEMON_SYSTEM_ATTRIBUTES)."""
        kwargs: dict[str, Any] = {
            "QueueUrl": self.url,
            "MaxNumberOfMessages": max(1, min(MAX_BATCH, max_messages)),
            "WaitTimeSeconds": wait_seconds,
            "MessageSystemAttributeNames": list(system_attributes),
            "MessageAttributeNames": ["All"],
        }
        if visibility_timeout is not None:
            kwargs["VisibilityTimeout"] = visibility_timeout
        self._calling("ReceiveMessage")
        response = await self.client.receive_message(**kwargs)
        return [SqsMessage.from_boto(raw) for raw in response.get("Messages", [])]

    async def delete_batch(self, receipt_handles: Mapping[str, str]) -> list[str]:
        """Delete by {entry id: receipt handle}; returns the entry ids SQS failed to delete."""
        if not receipt_handles:
            return []
        self._calling("DeleteMessageBatch")
        response = await self.client.delete_message_batch(
            QueueUrl=self.url,
            Entries=[{"Id": key, "ReceiptHandle": handle} for key, handle in receipt_handles.items()],
        )
        return _failed(response, "DeleteMessageBatch")

    async def change_visibility_batch(self, receipt_handles: Mapping[str, str], seconds: int) -> list[str]:
        """Set the visibility of several messages; returns the entry ids SQS refused."""
        if not receipt_handles:
            return []
        self._calling("ChangeMessageVisibilityBatch")
        response = await self.client.change_message_visibility_batch(
            QueueUrl=self.url,
            Entries=[
                {"Id": key, "ReceiptHandle": handle, "VisibilityTimeout": seconds}
                for key, handle in receipt_handles.items()
            ],
        )
        return _failed(response, "ChangeMessageVisibilityBatch")

    async def change_visibility(self, receipt_handle: str, seconds: int) -> None:
        self._calling("ChangeMessageVisibility")
        await self.client.change_message_visibility(
            QueueUrl=self.url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )

    async def send(self, body: str, attributes: Mapping[str, Any] | None = None) -> str:
        kwargs: dict[str, Any] = {"QueueUrl": self.url, "MessageBody": body}
        if attributes:
            kwargs["MessageAttributes"] = dict(attributes)
        self._calling("SendMessage")
        response = await self.client.send_message(**kwargs)
        return str(response["MessageId"])

    async def send_batch(self, entries: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
        """SendMessageBatch of {Id, MessageBody, MessageAttributes?} entries: (sent ids, failed ids)."""
        if not entries:
            return [], []
        self._calling("SendMessageBatch")
        response = await self.client.send_message_batch(QueueUrl=self.url, Entries=list(entries))
        sent = [entry["Id"] for entry in response.get("Successful", [])]
        return sent, _failed(response, "SendMessageBatch")


def _failed(response: Mapping[str, Any], operation: str) -> list[str]:
    failed = response.get("Failed", [])
    for entry in failed:
        log.warning(
            "sqs.batch_entry_failed",
            operation=operation,
            entry=entry.get("Id"),
            code=entry.get("Code"),
            message=entry.get("Message"),
            sender_fault=entry.get("SenderFault"),
        )
    return [entry["Id"] for entry in failed]


async def queue_url_for_arn(client: Any, arn: str) -> str:
    """The URL of the queue with this ARN (arn:aws:sqs:REGION:ACCOUNT:NAME), asking SQS."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise QueueConfigurationError(f"{arn!r} is not an SQS queue ARN")
    try:
        response = await client.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])
    except ClientError as exc:
        raise QueueConfigurationError(f"the queue {arn} cannot be found: {exc}") from exc
    return str(response["QueueUrl"])


async def dead_letter_queue_url(client: Any, source: Queue, configured: str | None) -> str:
    """SPAPI_NOTIFY_DLQ_URL when set, else the source queue's RedrivePolicy target."""
    if configured:
        return configured
    attributes = await source.attributes()
    if attributes.dead_letter_arn is None:
        raise QueueConfigurationError(
            f"the queue {source.url} has no dead-letter queue: give it a RedrivePolicy (see "
            "infra/cloudformation) or set SPAPI_NOTIFY_DLQ_URL; without one a bad message could only be "
            "dropped or retried forever"
        )
    return await queue_url_for_arn(client, attributes.dead_letter_arn)
