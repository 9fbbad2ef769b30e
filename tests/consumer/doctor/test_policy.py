"""The queue/key policy evaluation on Amazon's documented policy shapes.

moto stores queue and key policies but never enforces them, so the doctor cannot learn from moto whether a
send would be refused: it evaluates the policy itself, and these cases pin that evaluation down.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from consumer.doctor.policy import EVENTBRIDGE, SPAPI, Caller, Verdict, evaluate, glob_match

QUEUE = "arn:aws:sqs:us-east-1:123456789012:spapi-notify"
BUS = "aws.partner/sellingpartnerapi.amazon.com/123456789012/app"
RULE = f"arn:aws:events:us-east-1:123456789012:rule/{BUS}/spapi"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SEND = ["sqs:SendMessage"]


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(
    principal: Any, action: Any = "sqs:SendMessage", resource: Any = QUEUE, **extra: Any
) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource, **extra}


def deny(principal: Any, action: Any = "sqs:*", resource: Any = QUEUE, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": principal, "Action": action, "Resource": resource, **extra}


# Amazon's Notifications API guide: the statement to add for an SQS destination.
AMAZON_DOCUMENTED = doc(
    {
        "Sid": "Stmt1628181263281",
        "Effect": "Allow",
        "Principal": {"AWS": "437568002678"},
        "Action": ["SQS:SendMessage", "SQS:GetQueueAttributes"],
        "Resource": QUEUE,
    }
)
TLS_ONLY = deny("*", Condition={"Bool": {"aws:SecureTransport": "false"}})

SPAPI_CASES = [
    ("Amazon's documented statement", AMAZON_DOCUMENTED, Verdict.ALLOWED),
    ("account root ARN", doc(allow({"AWS": "arn:aws:iam::437568002678:root"})), Verdict.ALLOWED),
    ("a list of accounts", doc(allow({"AWS": ["111122223333", "437568002678"]})), Verdict.ALLOWED),
    ("Principal star", doc(allow("*")), Verdict.ALLOWED),
    ("AWS star", doc(allow({"AWS": "*"})), Verdict.ALLOWED),
    ("one statement, not a list", json.dumps({"Statement": allow({"AWS": "437568002678"})}), Verdict.ALLOWED),
    ("sqs:* wildcard", doc(allow({"AWS": "437568002678"}, "sqs:*")), Verdict.ALLOWED),
    ("every action", doc(allow({"AWS": "437568002678"}, "*")), Verdict.ALLOWED),
    ("Send* wildcard", doc(allow({"AWS": "437568002678"}, "sqs:Send*")), Verdict.ALLOWED),
    ("another action", doc(allow({"AWS": "437568002678"}, "sqs:ReceiveMessage")), Verdict.NOT_ALLOWED),
    (
        "NotAction",
        doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "437568002678"},
                "NotAction": "sqs:Delete*",
                "Resource": QUEUE,
            }
        ),
        Verdict.ALLOWED,
    ),
    ("another account", doc(allow({"AWS": "111122223333"})), Verdict.NOT_ALLOWED),
    ("another queue", doc(allow({"AWS": "437568002678"}, resource=QUEUE + "-dlq")), Verdict.NOT_ALLOWED),
    (
        "resource wildcard",
        doc(allow({"AWS": "437568002678"}, resource="arn:aws:sqs:*:123456789012:*")),
        Verdict.ALLOWED,
    ),
    ("a service only", doc(allow({"Service": "events.amazonaws.com"})), Verdict.NOT_ALLOWED),
    ("no statements", doc(), Verdict.NOT_ALLOWED),
    ("no policy", "", Verdict.NOT_ALLOWED),
    ("TLS-only deny and the allow", doc(TLS_ONLY, allow({"AWS": "437568002678"})), Verdict.ALLOWED),
    ("a deny wins", doc(allow({"AWS": "437568002678"}), deny({"AWS": "437568002678"})), Verdict.DENIED),
    ("a deny of everyone", doc(allow({"AWS": "437568002678"}), deny("*", "*")), Verdict.DENIED),
    ("a deny of another action", doc(allow("*"), deny("*", "sqs:DeleteQueue")), Verdict.ALLOWED),
    (
        "a deny on a condition it cannot evaluate",
        doc(
            allow({"AWS": "437568002678"}), deny("*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
        ),
        Verdict.UNKNOWN,
    ),
    (
        "an allow on a key SP-API does not reveal",
        doc(allow("*", Condition={"StringEquals": {"aws:SourceAccount": "437568002678"}})),
        Verdict.UNKNOWN,
    ),
    ("a role of Amazon's account", doc(allow({"AWS": "arn:aws:iam::437568002678:role/x"})), Verdict.UNKNOWN),
    (
        "NotPrincipal",
        doc(
            {"Effect": "Allow", "NotPrincipal": {"AWS": "111122223333"}, "Action": "sqs:*", "Resource": QUEUE}
        ),
        Verdict.UNKNOWN,
    ),
    (
        "Bool IfExists on TLS",
        doc(allow({"AWS": "437568002678"}, Condition={"BoolIfExists": {"aws:SecureTransport": "true"}})),
        Verdict.ALLOWED,
    ),
    ("not JSON", "{not json", Verdict.UNKNOWN),
]


@pytest.mark.parametrize(("policy", "verdict"), [c[1:] for c in SPAPI_CASES], ids=[c[0] for c in SPAPI_CASES])
def test_spapi_may_send(policy: str, verdict: Verdict) -> None:
    decision = evaluate(policy, caller=SPAPI, actions=SEND, resource=QUEUE)
    assert decision.verdict is verdict, decision.reason
    assert decision.reason


def _rule_statement(operator: str, value: str) -> dict[str, Any]:
    return allow({"Service": "events.amazonaws.com"}, Condition={operator: {"aws:SourceArn": value}})


EVENTBRIDGE_CASES = [
    ("the rule, ArnEquals", doc(_rule_statement("ArnEquals", RULE)), RULE, Verdict.ALLOWED),
    (
        "the rule, ArnLike",
        doc(_rule_statement("ArnLike", RULE.rsplit("/", 1)[0] + "/*")),
        RULE,
        Verdict.ALLOWED,
    ),
    ("another rule", doc(_rule_statement("ArnEquals", RULE + "-old")), RULE, Verdict.NOT_ALLOWED),
    ("a rule it cannot name", doc(_rule_statement("ArnEquals", RULE)), None, Verdict.UNKNOWN),
    ("no condition", doc(allow({"Service": "events.amazonaws.com"})), None, Verdict.ALLOWED),
    ("SP-API's statement only", AMAZON_DOCUMENTED, RULE, Verdict.NOT_ALLOWED),
    (
        "StringNotEquals excludes it",
        doc(allow("*", Condition={"StringNotEquals": {"aws:SourceArn": RULE}})),
        RULE,
        Verdict.NOT_ALLOWED,
    ),
]


@pytest.mark.parametrize(
    ("policy", "rule", "verdict"), [c[1:] for c in EVENTBRIDGE_CASES], ids=[c[0] for c in EVENTBRIDGE_CASES]
)
def test_an_eventbridge_rule_may_send(policy: str, rule: str | None, verdict: Verdict) -> None:
    context = {"aws:SourceArn": rule, "aws:SourceAccount": "123456789012"} if rule else {}
    decision = evaluate(policy, caller=EVENTBRIDGE, actions=SEND, resource=QUEUE, context=context)
    assert decision.verdict is verdict, decision.reason


def test_a_key_policy_must_allow_both_actions() -> None:
    default = doc(allow({"AWS": "arn:aws:iam::123456789012:root"}, "kms:*", "*"))
    actions = ["kms:GenerateDataKey", "kms:Decrypt"]
    assert evaluate(default, caller=SPAPI, actions=actions, resource=KEY).verdict is Verdict.NOT_ALLOWED
    only_one = doc(allow({"AWS": "437568002678"}, "kms:GenerateDataKey*", "*"))
    decision = evaluate(only_one, caller=SPAPI, actions=actions, resource=KEY)
    assert decision.verdict is Verdict.NOT_ALLOWED
    assert "kms:Decrypt" in decision.reason
    both = doc(allow({"AWS": "437568002678"}, ["kms:GenerateDataKey*", "kms:Decrypt"], "*"))
    assert evaluate(both, caller=SPAPI, actions=actions, resource=KEY).verdict is Verdict.ALLOWED


def test_wildcards_are_iam_globs_not_regular_expressions() -> None:
    assert glob_match("sqs:Send*", "sqs:SendMessage")
    assert glob_match("arn:aws:sqs:us-east-1:12345678901?:q", "arn:aws:sqs:us-east-1:123456789012:q")
    assert not glob_match("arn:aws:sqs:us-east-1:1234.*", "arn:aws:sqs:us-east-1:123456789012:q")
    assert not glob_match("SQS:SendMessage", "sqs:SendMessage")
    assert glob_match("SQS:SendMessage", "sqs:SendMessage", ignore_case=True)
    stranger = Caller("someone", account="111122223333")
    assert (
        evaluate(AMAZON_DOCUMENTED, caller=stranger, actions=SEND, resource=QUEUE).verdict
        is Verdict.NOT_ALLOWED
    )
