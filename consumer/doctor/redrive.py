"""The dead-letter side: a RedrivePolicy to a reachable DLQ with a sane maxReceiveCount and a longer
retention, and the visibility timeout compared with how long a handler may run."""

from __future__ import annotations

import json
import shlex
from typing import Any

from consumer.doctor import aws
from consumer.doctor.check import Check, could_not, failed, passed
from consumer.doctor.config import DoctorConfig
from consumer.doctor.queue import QueueFacts

# Below this a transient failure or two (a database restart, an SP-API 503) dead-letters a good notification;
# above it a message that can never succeed keeps coming back for a day or more.
MIN_RECEIVES = 3
MAX_RECEIVES = 50
# The heartbeat extends visibility every V/4 s (at most every 5 s); below this a slow
# ChangeMessageVisibility call lets another consumer take a message being worked on.
MIN_VISIBILITY = 10


def _redrive_command(facts: QueueFacts, dlq_arn: str, count: int) -> str:
    policy = json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(count)}, separators=(",", ":")
    )
    attributes = json.dumps({"RedrivePolicy": policy}, separators=(",", ":"))
    return (
        f"aws sqs set-queue-attributes --region {facts.region} --queue-url {shlex.quote(facts.url)} "
        f"--attributes {shlex.quote(attributes)}"
    )


def time_to_dead_letter(receives: int, base: float, cap: float) -> float:
    """Seconds a message failing every time spends before SQS moves it (the daemon's backoff between)."""
    return float(sum(min(cap, base * 2.0 ** (n - 1)) for n in range(1, receives)))


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:g} days"


async def redrive_checks(config: DoctorConfig, facts: QueueFacts, session: Any) -> list[Check]:
    """``queue.redrive`` (policy and maxReceiveCount) and ``queue.dlq`` (reachable, retention)."""
    redrive = facts.redrive()
    dlq_name = f"{facts.arn.rsplit(':', 1)[-1]}-dlq"
    if redrive is None or "deadLetterTargetArn" not in redrive:
        example = f"arn:aws:sqs:{facts.region}:{facts.account}:{dlq_name}"
        return [
            failed(
                "queue.redrive",
                f"{facts.arn} has no RedrivePolicy: a notification that keeps failing is retried until the "
                "queue's retention drops it, silently",
                f"aws sqs create-queue --region {facts.region} --queue-name {dlq_name} --attributes "
                "MessageRetentionPeriod=1209600, then\n" + _redrive_command(facts, example, 5),
            )
        ]
    dlq_arn = str(redrive["deadLetterTargetArn"])
    try:
        count = int(redrive.get("maxReceiveCount", 0))
    except (TypeError, ValueError):
        count = 0
    checks = [_receives_check(config, facts, dlq_arn, count)]
    checks.append(await _dlq_check(facts, dlq_arn, session))
    return checks


def _receives_check(config: DoctorConfig, facts: QueueFacts, dlq_arn: str, count: int) -> Check:
    name = "queue.redrive"
    wait = time_to_dead_letter(count, config.retry_backoff_base, config.retry_backoff_max)
    looked = f"{facts.arn} moves a message to {dlq_arn} after {count} receive(s)"
    if count < MIN_RECEIVES:
        return failed(
            name,
            f"{looked}: a transient failure or two (a database restart, an SP-API outage) dead-letters a "
            "good notification",
            _redrive_command(facts, dlq_arn, 5),
        )
    if count > MAX_RECEIVES:
        return failed(
            name,
            f"{looked}: a message that can never succeed keeps coming back for about {_duration(wait)}",
            _redrive_command(facts, dlq_arn, 5),
        )
    return passed(name, f"{looked} (about {_duration(wait)} of retries with the daemon's backoff)")


async def _dlq_check(facts: QueueFacts, dlq_arn: str, session: Any) -> Check:
    name = "queue.dlq"
    parsed = aws.parse_queue_arn(dlq_arn)
    if parsed is None:
        return failed(
            name,
            f"the RedrivePolicy names {dlq_arn!r}, not a queue ARN",
            "set a RedrivePolicy naming the DLQ's ARN",
        )
    region, account, queue_name = parsed
    try:
        async with aws.client(session, "sqs", region) as sqs:
            url = (await sqs.get_queue_url(QueueName=queue_name, QueueOwnerAWSAccountId=account))["QueueUrl"]
            attributes = (
                await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MessageRetentionPeriod"])
            )["Attributes"]
    except aws.AWS_ERRORS as exc:
        code = aws.error_code(exc)
        if "NonExistentQueue" in code or code == "QueueDoesNotExist":
            return failed(
                name,
                f"the dead-letter queue {dlq_arn} does not exist: SQS cannot move failing messages there",
                f"aws sqs create-queue --region {region} --queue-name {queue_name} --attributes "
                "MessageRetentionPeriod=1209600",
            )
        return could_not(name, f"dead-letter queue {dlq_arn}: {aws.describe(exc)}")
    source = int(facts.attributes.get("MessageRetentionPeriod", "345600"))
    kept = int(attributes.get("MessageRetentionPeriod", "345600"))
    if kept < source:
        return failed(
            name,
            f"{dlq_arn} keeps messages {_duration(kept)}, less than the queue's {_duration(source)}: SQS "
            "keeps a "
            "message's first enqueue time, so a dead-lettered message can expire on arrival",
            f"aws sqs set-queue-attributes --region {region} --queue-url {shlex.quote(url)} --attributes "
            "MessageRetentionPeriod=1209600",
        )
    return passed(name, f"{dlq_arn} exists and keeps messages {_duration(kept)}")


def visibility_check(config: DoctorConfig, facts: QueueFacts) -> Check:
    """The visibility timeout against SPAPI_NOTIFY_HANDLER_TIMEOUT and the heartbeat."""
    name = "queue.visibility"
    queue_value = int(facts.attributes.get("VisibilityTimeout", "30"))
    used = config.visibility_timeout or queue_value
    source = (
        "SPAPI_NOTIFY_VISIBILITY_TIMEOUT" if config.visibility_timeout else "the queue's VisibilityTimeout"
    )
    handler = config.handler_timeout
    if used < MIN_VISIBILITY:
        return failed(
            name,
            f"{source} is {used} s: the heartbeat must extend every message in work every few seconds, and "
            "one "
            "slow call lets another consumer take it (processed twice, or its delete refused)",
            f"aws sqs set-queue-attributes --region {facts.region} --queue-url {shlex.quote(facts.url)} "
            "--attributes VisibilityTimeout=300 (and unset SPAPI_NOTIFY_VISIBILITY_TIMEOUT)",
        )
    if used >= handler:
        return passed(
            name,
            f"{source} is {used} s, at least SPAPI_NOTIFY_HANDLER_TIMEOUT ({handler:g} s): no handler "
            "outlives "
            "its message's visibility",
        )
    return passed(
        name,
        f"{source} is {used} s, under SPAPI_NOTIFY_HANDLER_TIMEOUT ({handler:g} s): handlers running "
        "longer than "
        f"{used // 2} s rely on the heartbeat, which extends the visibility while they run",
    )
