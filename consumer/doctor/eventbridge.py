"""EventBridge destinations: Amazon's partner event source exists and is associated with an event bus, and a
rule on that bus sends to the queue.

Read-only calls: DescribeEventSource, ListEventBuses, ListRules, ListTargetsByRule. moto keeps partner event
sources but answers DescribeEventSource for a missing one with a 500 (AWS: ResourceNotFoundException), and
cannot hold rules on a partner bus (its name contains '/'): those checks read "could not check" there.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from consumer.doctor import aws
from consumer.doctor.check import Check, could_not, failed, passed
from spapi.models.notifications_api import EventBridgeResource

EVENT_PATTERN = {"source": [{"prefix": "aws.partner/sellingpartnerapi.amazon.com"}]}


@dataclass
class BridgeResult:
    """The checks of one EventBridge destination, and the ARNs of the enabled rules that target the queue."""

    checks: list[Check] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)


def _associate(source: str, region: str) -> str:
    name = shlex.quote(source)
    return f"aws events create-event-bus --region {region} --name {name} --event-source-name {name}"


def _route(bus: str, region: str, queue_arn: str) -> str:
    pattern = shlex.quote(json.dumps(EVENT_PATTERN, separators=(",", ":")))
    quoted = shlex.quote(bus)
    return (
        f"aws events put-rule --region {region} --name spapi-notify --event-bus-name {quoted} "
        f"--event-pattern {pattern} && aws events put-targets --region {region} --rule spapi-notify "
        f"--event-bus-name {quoted} --targets Id=queue,Arn={queue_arn}\n"
        "and let the rule send to the queue (see queue.policy), or deploy "
        "infra/cloudformation/spapi-notify.yaml "
        "with PartnerEventBusName set"
    )


async def bridge_checks(
    bridge: EventBridgeResource, queue_arn: str | None, session: Any, application_id: str | None
) -> BridgeResult:
    """``eventbridge.source``, ``eventbridge.bus`` and ``eventbridge.rule`` for one EventBridge "
    "destination."""
    result = BridgeResult()
    source, region = bridge.name, bridge.region
    result.checks.append(_application_check(source, application_id))
    async with aws.client(session, "events", region) as events:
        state = await _source_check(events, source, bridge, result)
        if state is None or state == "DELETED":
            return result
        bus = await _bus_check(events, source, region, result)
        if bus is None:
            return result
        if queue_arn is None:
            result.checks.append(could_not("eventbridge.rule", "the queue could not be read", subject=source))
            return result
        await rule_check(events, bus, region, queue_arn, result, subject=source)
    return result


def _application_check(source: str, application_id: str | None) -> Check:
    """Amazon names the partner event source after the application that made the destination: ours."""
    theirs = source.rsplit("/", 1)[-1]
    if application_id and theirs != application_id:
        return failed(
            "settings.application_id",
            f"Amazon's event source {source} is for application {theirs}, but SPAPI_NOTIFY_APPLICATION_ID is "
            f"{application_id}: every notification is dead-lettered as foreign_application",
            f"set SPAPI_NOTIFY_APPLICATION_ID={theirs}",
            subject=source,
        )
    return passed(
        "settings.application_id", f"Amazon's event source names application {theirs}", subject=source
    )


async def _source_check(
    events: Any, source: str, bridge: EventBridgeResource, result: BridgeResult
) -> str | None:
    name = "eventbridge.source"
    try:
        described = await events.describe_event_source(Name=source)
    except aws.AWS_ERRORS as exc:
        if aws.error_code(exc) == "ResourceNotFoundException":
            result.checks.append(
                failed(
                    name,
                    f"Amazon's partner event source {source} does not exist in account "
                    f"{bridge.account_id}, region "
                    f"{bridge.region} (the AWS credentials in use may be another account's)",
                    "run the doctor with the credentials of that account; if the source is gone, create the "
                    "destination again: `spapi-notify subscriptions apply --config FILE --replace`",
                    subject=source,
                )
            )
        else:
            result.checks.append(
                could_not(name, f"DescribeEventSource {source}: {aws.describe(exc)}", subject=source)
            )
        return None
    state = str(described.get("State", ""))
    if state == "DELETED":
        result.checks.append(
            failed(
                name,
                f"Amazon's partner event source {source} is DELETED: nothing is delivered through it",
                "create the destination again (`spapi-notify subscriptions apply --config FILE "
                "--replace`), then "
                "associate the new source with an event bus",
                subject=source,
            )
        )
    elif state == "PENDING":
        result.checks.append(
            failed(
                name,
                f"Amazon's partner event source {source} is PENDING: it was never associated with an event "
                "bus, "
                "so Amazon's events go nowhere",
                _associate(source, bridge.region),
                subject=source,
            )
        )
    else:
        result.checks.append(
            passed(name, f"{source} is {state or 'present'} in {bridge.region}", subject=source)
        )
    return state


async def _bus_check(events: Any, source: str, region: str, result: BridgeResult) -> str | None:
    name = "eventbridge.bus"
    try:
        buses = (await events.list_event_buses(NamePrefix=source))["EventBuses"]
    except aws.AWS_ERRORS as exc:
        result.checks.append(could_not(name, f"ListEventBuses: {aws.describe(exc)}", subject=source))
        return None
    bus = next((b for b in buses if b.get("Name") == source), None)
    if bus is None:
        result.checks.append(
            failed(
                name,
                f"no event bus is associated with {source} in {region}: Amazon's events go nowhere",
                _associate(source, region),
                subject=source,
            )
        )
        return None
    result.checks.append(
        passed(name, f"event bus {bus.get('Arn', source)} receives the source's events", subject=source)
    )
    return str(bus["Name"])


async def rule_check(
    events: Any, bus: str, region: str, queue_arn: str, result: BridgeResult, *, subject: str
) -> None:
    """An enabled rule on ``bus`` targets the queue; the ARNs of such rules go into ``result.rules``."""
    name = "eventbridge.rule"
    try:
        rules = await _all_rules(events, bus)
        targeting: list[dict[str, Any]] = []
        for rule in rules:
            targets = await _all_targets(events, bus, str(rule["Name"]))
            if any(t.get("Arn") == queue_arn for t in targets):
                targeting.append(rule)
    except aws.AWS_ERRORS as exc:
        result.checks.append(
            could_not(
                name,
                f"the rules of event bus {bus} could not be listed ({aws.describe(exc)})",
                subject=subject,
            )
        )
        return
    enabled = [r for r in targeting if r.get("State", "ENABLED") == "ENABLED"]
    if enabled:
        result.rules += [str(r["Arn"]) for r in enabled]
        names = ", ".join(str(r["Name"]) for r in enabled)
        result.checks.append(passed(name, f"rule {names} on {bus} sends to {queue_arn}", subject=subject))
    elif targeting:
        rule = targeting[0]
        result.checks.append(
            failed(
                name,
                f"rule {rule['Name']} on {bus} targets {queue_arn} but is {rule.get('State')}",
                f"aws events enable-rule --region {region} --event-bus-name {shlex.quote(bus)} --name "
                f"{rule['Name']}",
                subject=subject,
            )
        )
    else:
        result.checks.append(
            failed(
                name,
                f"none of the {len(rules)} rule(s) on {bus} sends to {queue_arn}: the events never reach "
                "the queue",
                _route(bus, region, queue_arn),
                subject=subject,
            )
        )


async def _all_rules(events: Any, bus: str) -> Sequence[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = await events.list_rules(EventBusName=bus, **({"NextToken": token} if token else {}))
        rules += page.get("Rules", [])
        token = page.get("NextToken")
        if not token:
            return rules


async def _all_targets(events: Any, bus: str, rule: str) -> Sequence[dict[str, Any]]:
    targets: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = await events.list_targets_by_rule(
            Rule=rule, EventBusName=bus, **({"NextToken": token} if token else {})
        )
        targets += page.get("Targets", [])
        token = page.get("NextToken")
        if not token:
            return targets
