"""The queue: reachable, a standard queue (SP-API cannot deliver to FIFO), in the AWS region SP-API delivers
from, and a policy that lets the senders in (Amazon's SP-API principal, or EventBridge's rule).

moto does not enforce queue policies: the policy is read and evaluated here (consumer.doctor.policy), never
tried by sending.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from consumer.doctor import aws
from consumer.doctor.check import Check, could_not, failed, passed, skipped
from consumer.doctor.config import DoctorConfig
from consumer.doctor.policy import EVENTBRIDGE, SPAPI, SPAPI_ACCOUNT, Decision, Verdict, evaluate
from consumer.doctor.statements import (
    eventbridge_queue_statement,
    set_queue_policy_command,
    spapi_queue_statement,
    statement_text,
    with_statement,
)
from spapi.models.notifications_api import Destination
from spapi.regions import ENDPOINTS

_INFRA = "infra/cloudformation/spapi-notify.yaml"


@dataclass(frozen=True)
class QueueFacts:
    """What SQS says of the queue: its URL, ARN, region and account, and its attributes."""

    url: str
    arn: str
    region: str
    account: str
    attributes: Mapping[str, str]

    @property
    def policy(self) -> str | None:
        return self.attributes.get("Policy") or None

    def redrive(self) -> dict[str, Any] | None:
        raw = self.attributes.get("RedrivePolicy")
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


@dataclass(frozen=True)
class Route:
    """How notifications reach the queue: directly from SP-API, or through an EventBridge rule."""

    direct: bool  # SP-API sends to the queue itself (an SQS destination, or no EventBridge rule reaches it)
    rules: tuple[str, ...] = ()  # ARNs of EventBridge rules that target the queue
    eventbridge: bool = False  # the application has EventBridge destinations


async def read_queue(config: DoctorConfig, session: Any) -> tuple[list[Check], QueueFacts | None]:
    """``queue.reachable`` and ``queue.standard``; the queue's facts when it could be read."""
    name = "queue.reachable"
    if not config.queue_url:
        return [
            failed(
                name,
                "SPAPI_NOTIFY_QUEUE_URL is not set: there is no queue to consume",
                f"create the queue (see {_INFRA}) and set SPAPI_NOTIFY_QUEUE_URL to its URL",
            )
        ], None
    url = config.queue_url
    region = aws.region_of_queue_url(url)
    try:
        async with aws.client(session, "sqs", region) as sqs:
            attributes = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))["Attributes"]
    except aws.AWS_ERRORS as exc:
        code = aws.error_code(exc)
        where = (
            f"region {region}" if region else "the AWS region of the SDK's configuration (AWS_DEFAULT_REGION)"
        )
        if "NonExistentQueue" in code or code == "QueueDoesNotExist":
            return [
                failed(
                    name,
                    f"{url}: no such queue in {where}",
                    "correct SPAPI_NOTIFY_QUEUE_URL (and AWS_DEFAULT_REGION), or create the queue "
                    f"({_INFRA})",
                )
            ], None
        if code in ("AccessDenied", "AccessDeniedException"):
            return [
                failed(
                    name,
                    f"{url}: the consumer's AWS credentials may not read the queue ({aws.describe(exc)})",
                    "give the consumer's role sqs:GetQueueAttributes, ReceiveMessage, DeleteMessage, "
                    "ChangeMessageVisibility and SendMessage (to the DLQ) on the queues (the role in "
                    f"{_INFRA})",
                )
            ], None
        return [could_not(name, f"{url}: {aws.describe(exc)}")], None
    parsed = aws.parse_queue_arn(attributes.get("QueueArn", ""))
    if parsed is None:
        return [could_not(name, f"{url}: SQS returned no queue ARN")], None
    queue_region, account, _ = parsed
    facts = QueueFacts(url, attributes["QueueArn"], queue_region, account, attributes)
    checks = [passed(name, f"{url} is {facts.arn}")]
    if attributes.get("FifoQueue", "false").lower() == "true":
        checks.append(
            failed(
                "queue.standard",
                f"{facts.arn} is a FIFO queue: SP-API (and its destinations) cannot deliver to FIFO "
                "queues, so "
                "nothing arrives",
                f"create a standard queue ({_INFRA}), point SPAPI_NOTIFY_QUEUE_URL and the destination "
                "(`spapi-notify subscriptions apply --replace` with its ARN) at it",
            )
        )
    else:
        checks.append(passed("queue.standard", f"{facts.arn} is a standard queue"))
    return checks, facts


def route_of(facts: QueueFacts, destinations: Sequence[Destination] | None, rules: Sequence[str]) -> Route:
    """How notifications reach the queue, from the application's destinations (None: not known)."""
    if destinations is None:
        return Route(direct=True, rules=tuple(rules))
    # Without an EventBridge rule reaching the queue, SP-API's own delivery is the only way in: check it
    # even when no destination names the queue yet (destinations.queue says so).
    direct = not rules or any(
        d.resource.sqs is not None and d.resource.sqs.arn == facts.arn for d in destinations
    )
    bridged = any(d.resource.event_bridge is not None for d in destinations)
    return Route(direct=direct, rules=tuple(rules), eventbridge=bridged)


def region_check(
    config: DoctorConfig, facts: QueueFacts, route: Route, bridge_regions: Sequence[str]
) -> Check:
    """SP-API delivers to SQS only in the AWS region of its endpoint; an EventBridge rule only targets a
    queue in its own region."""
    name = "queue.region"
    expected = ENDPOINTS[config.region].aws_region
    if route.direct or not route.eventbridge:
        if facts.region == expected:
            return passed(
                name, f"{facts.arn} is in {expected}, where SP-API region {config.region.value} delivers from"
            )
        return failed(
            name,
            f"{facts.arn} is in {facts.region}, but SP-API region {config.region.value} delivers only to "
            "queues in "
            f"{expected}: nothing arrives",
            f"create the queue in {expected} ({_INFRA} deployed there), then point SPAPI_NOTIFY_QUEUE_URL "
            "and the "
            "destination at it (`spapi-notify subscriptions apply --replace` with the new ARN)",
        )
    if facts.region in bridge_regions:
        return passed(name, f"{facts.arn} is in {facts.region}, the region of the EventBridge destination")
    return failed(
        name,
        f"{facts.arn} is in {facts.region}; the EventBridge destination(s) are in "
        f"{', '.join(bridge_regions)}, "
        "and a rule only targets a queue in its own region",
        f"create the queue in {', '.join(bridge_regions)} ({_INFRA}) and set SPAPI_NOTIFY_QUEUE_URL to it",
    )


def policy_checks(facts: QueueFacts, route: Route) -> list[Check]:
    """The queue policy lets Amazon's SP-API principal send (direct delivery), and each EventBridge rule that
    targets the queue."""
    checks = []
    if route.direct:
        decision = evaluate(facts.policy, caller=SPAPI, actions=["sqs:SendMessage"], resource=facts.arn)
        statement = spapi_queue_statement(facts.arn)
        checks.append(_policy_check(facts, decision, statement, SPAPI_ACCOUNT))
    else:
        checks.append(
            skipped(
                "queue.policy",
                "only EventBridge rules deliver to this queue: SP-API does not send to it directly",
                subject=SPAPI_ACCOUNT,
            )
        )
    if route.eventbridge and not route.rules:
        checks.append(
            skipped(
                "queue.policy",
                "no EventBridge rule known to target this queue (see eventbridge.rule)",
                subject="events.amazonaws.com",
            )
        )
    for rule in route.rules:
        account = rule.split(":")[4] if rule.count(":") >= 5 else facts.account
        decision = evaluate(
            facts.policy,
            caller=EVENTBRIDGE,
            actions=["sqs:SendMessage"],
            resource=facts.arn,
            context={"aws:SourceArn": rule, "aws:SourceAccount": account},
        )
        checks.append(_policy_check(facts, decision, eventbridge_queue_statement(facts.arn, rule), rule))
    return checks


def _policy_check(facts: QueueFacts, decision: Decision, statement: dict[str, Any], subject: str) -> Check:
    name = "queue.policy"
    looked = f"the policy of {facts.arn}"
    if decision.verdict is Verdict.ALLOWED:
        return passed(name, f"{looked}: {decision.reason}", subject=subject)
    if decision.verdict is Verdict.UNKNOWN:
        return could_not(
            name,
            f"{looked}: {decision.reason}; the doctor does not claim it works. AWS documents this statement: "
            f"{statement_text(statement)}",
            subject=subject,
        )
    command = set_queue_policy_command(facts.url, facts.region, with_statement(facts.policy, statement))
    if decision.verdict is Verdict.DENIED:
        return failed(
            name,
            f"{looked}: {decision.reason}, so its notifications are refused",
            f"remove or narrow that statement, and make sure this one is there: {statement_text(statement)}",
            subject=subject,
        )
    return failed(
        name,
        f"{looked}: {decision.reason}, so its notifications are refused",
        f"add this statement to the queue policy: {statement_text(statement)}\n{command}",
        subject=subject,
    )
