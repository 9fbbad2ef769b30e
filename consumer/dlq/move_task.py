"""SQS's own redrive (StartMessageMoveTask): moves a whole DLQ server-side, far faster than receive/send.

It moves everything, with every attribute as it is, and lists nothing; so replay uses it only when no filter
is given. Endpoints without it (moto, older SQS-compatible services) answer with an error, and replay then
moves the messages itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

POLL_SECONDS = 2.0
FINISHED = frozenset({"COMPLETED", "CANCELLED", "FAILED"})


class MoveTaskUnavailable(Exception):
    """The endpoint would not start a move task (unsupported, or not permitted)."""


@dataclass(frozen=True)
class MoveTaskStatus:
    """A move task's progress as SQS lists it; ``to_move`` is None when SQS does not say."""

    status: str
    moved: int
    to_move: int | None
    failure_reason: str | None

    @property
    def succeeded(self) -> bool:
        return self.status == "COMPLETED"


async def start_move_task(client: Any, dlq_arn: str, target_arn: str) -> str:
    """Start moving every message of the DLQ to the target; returns the task handle."""
    try:
        response = await client.start_message_move_task(SourceArn=dlq_arn, DestinationArn=target_arn)
    except (ClientError, BotoCoreError) as exc:
        raise MoveTaskUnavailable(str(exc).splitlines()[0]) from exc
    return str(response["TaskHandle"])


async def wait_move_task(
    client: Any,
    dlq_arn: str,
    handle: str,
    on_progress: Callable[[MoveTaskStatus], None] | None = None,
    poll_seconds: float = POLL_SECONDS,
) -> MoveTaskStatus:
    """Poll ListMessageMoveTasks until the task finishes (it carries on server-side should we stop)."""
    while True:
        response = await client.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)
        results: list[dict[str, Any]] = response.get("Results", [])
        # Only a running task lists its handle; once finished, the newest task (listed first) is ours.
        task = next((r for r in results if r.get("TaskHandle") == handle), results[0] if results else None)
        if task is None:
            return MoveTaskStatus("UNKNOWN", 0, None, "the move task is not listed")
        status = MoveTaskStatus(
            status=str(task.get("Status", "UNKNOWN")),
            moved=int(task.get("ApproximateNumberOfMessagesMoved", 0)),
            to_move=task.get("ApproximateNumberOfMessagesToMove"),
            failure_reason=task.get("FailureReason"),
        )
        if on_progress is not None:
            on_progress(status)
        if status.status in FINISHED:
            return status
        await asyncio.sleep(poll_seconds)
