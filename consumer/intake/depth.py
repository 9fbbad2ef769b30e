"""How many messages a queue holds, as SQS approximates them (GetQueueAttributes; one call, no receive)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from consumer.intake.queue import Queue

# SQS's attribute for each state of a message.
ATTRIBUTES = {
    "visible": "ApproximateNumberOfMessages",
    "in_flight": "ApproximateNumberOfMessagesNotVisible",
    "delayed": "ApproximateNumberOfMessagesDelayed",
}


@dataclass(frozen=True)
class QueueDepth:
    """Messages waiting to be received, received and not yet deleted, and delayed."""

    visible: int
    in_flight: int
    delayed: int

    def by_state(self) -> dict[str, int]:
        """The counts by state name (``visible``, ``in_flight``, ``delayed``)."""
        return {"visible": self.visible, "in_flight": self.in_flight, "delayed": self.delayed}


async def queue_depth(queue: Queue) -> QueueDepth:
    """The queue's approximate counts now."""
    response = await queue.client.get_queue_attributes(
        QueueUrl=queue.url, AttributeNames=list(ATTRIBUTES.values())
    )
    attributes: Mapping[str, str] = response.get("Attributes", {})
    counts = {state: int(attributes.get(name, "0")) for state, name in ATTRIBUTES.items()}
    return QueueDepth(**counts)
