"""StartMessageMoveTask, for endpoints that have it (moto does not: the fallback is tested in test_cli.py)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from consumer.dlq.move_task import MoveTaskStatus, MoveTaskUnavailable, start_move_task, wait_move_task

DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:orders-dlq"
TARGET_ARN = "arn:aws:sqs:us-east-1:123456789012:orders"


class FakeSqs:
    """Answers like SQS: the task is listed with its handle while running, without it once finished."""

    def __init__(self, listings: list[dict[str, Any]]) -> None:
        self.listings = listings
        self.started: dict[str, Any] = {}

    async def start_message_move_task(self, **kwargs: Any) -> dict[str, Any]:
        self.started = kwargs
        return {"TaskHandle": "handle-1"}

    async def list_message_move_tasks(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs["SourceArn"] == DLQ_ARN
        return {"Results": [self.listings.pop(0)]}


async def test_a_move_task_is_started_and_followed_until_it_completes() -> None:
    running = {"TaskHandle": "handle-1", "Status": "RUNNING", "ApproximateNumberOfMessagesMoved": 5}
    completed = {"Status": "COMPLETED", "ApproximateNumberOfMessagesMoved": 12}
    sqs = FakeSqs([{**running, "ApproximateNumberOfMessagesToMove": 12}, completed])
    handle = await start_move_task(sqs, DLQ_ARN, TARGET_ARN)
    seen: list[MoveTaskStatus] = []
    status = await wait_move_task(sqs, DLQ_ARN, handle, seen.append, poll_seconds=0)

    assert sqs.started == {"SourceArn": DLQ_ARN, "DestinationArn": TARGET_ARN}
    assert [s.moved for s in seen] == [5, 12]
    assert status.succeeded
    assert status.moved == 12


async def test_a_failed_move_task_says_why() -> None:
    sqs = FakeSqs(
        [{"Status": "FAILED", "ApproximateNumberOfMessagesMoved": 3, "FailureReason": "AccessDenied"}]
    )
    status = await wait_move_task(sqs, DLQ_ARN, "handle-1", poll_seconds=0)
    assert not status.succeeded
    assert (status.moved, status.failure_reason) == (3, "AccessDenied")


async def test_an_endpoint_without_move_tasks_is_reported_as_unavailable() -> None:
    class NoMoveTasks:
        async def start_message_move_task(self, **kwargs: Any) -> dict[str, Any]:
            raise ClientError(
                {"Error": {"Code": "500", "Message": "not implemented"}}, "StartMessageMoveTask"
            )

    with pytest.raises(MoveTaskUnavailable):
        await start_move_task(NoMoveTasks(), DLQ_ARN, TARGET_ARN)
