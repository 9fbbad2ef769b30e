"""SSE-KMS: a queue encrypted with a KMS key receives only from senders the key's policy lets use it.

Amazon's SP-API principal (and EventBridge, for EventBridge destinations) must be allowed
kms:GenerateDataKey and kms:Decrypt; the AWS-managed key ``alias/aws/sqs`` can never allow them (its policy
cannot be changed). SSE-SQS needs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from consumer.doctor import aws
from consumer.doctor.check import Check, could_not, failed, passed, skipped
from consumer.doctor.policy import Caller, Verdict, evaluate
from consumer.doctor.queue import QueueFacts
from consumer.doctor.statements import (
    kms_key_statement,
    put_key_policy_command,
    statement_text,
    with_statement,
)

_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
_MANAGED = "alias/aws/sqs"


def _principal(caller: Caller) -> dict[str, str]:
    if caller.service is not None:
        return {"Service": caller.service}
    return {"AWS": f"arn:aws:iam::{caller.account}:root"}


def _without_key(facts: QueueFacts, name: str) -> Check:
    if facts.attributes.get("SqsManagedSseEnabled", "false").lower() == "true":
        return passed(name, f"{facts.arn} uses SSE-SQS: senders need no key permission")
    return passed(name, f"{facts.arn} is not encrypted with a KMS key: senders need no key permission")


def _unusable_key(facts: QueueFacts, name: str, metadata: dict[str, Any]) -> Check | None:
    key_arn = str(metadata.get("Arn", metadata.get("KeyId")))
    if metadata.get("KeyManager") == "AWS":
        return failed(
            name,
            f"{facts.arn} is encrypted with the AWS-managed key {key_arn}: its policy cannot let other "
            "accounts or services use it",
            "use a customer-managed key (or SSE-SQS) for the queue",
        )
    if metadata.get("KeyState", "Enabled") != "Enabled":
        return failed(
            name,
            f"KMS key {key_arn} of {facts.arn} is {metadata.get('KeyState')}: nothing can be sent to the "
            "queue",
            f"aws kms enable-key --key-id {metadata['KeyId']} --region {facts.region} (or cancel its "
            "deletion)",
        )
    return None


async def kms_checks(facts: QueueFacts, session: Any, senders: Sequence[Caller]) -> list[Check]:
    """One ``queue.kms`` check per sender, or one saying no key policy is involved."""
    name = "queue.kms"
    key = facts.attributes.get("KmsMasterKeyId")
    if not key:
        return [_without_key(facts, name)]
    if not senders:
        return [skipped(name, f"{facts.arn} uses KMS key {key}, but no sender of notifications is known")]
    if key == _MANAGED or key.endswith(f":{_MANAGED}"):
        return [
            failed(
                name,
                f"{facts.arn} is encrypted with the AWS-managed key {_MANAGED}, whose policy cannot let "
                "Amazon's SP-API principal (or EventBridge) use it: every send is refused",
                "use a customer-managed key whose policy allows them kms:GenerateDataKey and kms:Decrypt "
                "(infra/cloudformation/spapi-notify.yaml, KmsKeyArn), or SSE-SQS",
            )
        ]
    try:
        async with aws.client(session, "kms", facts.region) as kms:
            metadata = (await kms.describe_key(KeyId=key))["KeyMetadata"]
            policy = (await kms.get_key_policy(KeyId=metadata["KeyId"], PolicyName="default"))["Policy"]
    except aws.AWS_ERRORS as exc:
        return [could_not(name, f"KMS key {key} of {facts.arn}: {aws.describe(exc)}")]
    problem = _unusable_key(facts, name, metadata)
    if problem is not None:
        return [problem]
    key_arn = str(metadata.get("Arn", key))
    checks = []
    for caller in senders:
        decision = evaluate(policy, caller=caller, actions=list(_ACTIONS), resource=key_arn)
        subject = caller.service or caller.account
        looked = f"the policy of KMS key {key_arn} (SSE-KMS of {facts.arn})"
        if decision.verdict is Verdict.ALLOWED:
            checks.append(passed(name, f"{looked}: {decision.reason}", subject=subject))
            continue
        statement = kms_key_statement(
            _principal(caller), f"Allow{(subject or 'sender').split('.')[0]}ToUseTheKey"
        )
        if decision.verdict is Verdict.UNKNOWN:
            checks.append(could_not(name, f"{looked}: {decision.reason}", subject=subject))
            continue
        command = put_key_policy_command(metadata["KeyId"], facts.region, with_statement(policy, statement))
        checks.append(
            failed(
                name,
                f"{looked}: {decision.reason}, so its messages cannot be encrypted and are refused",
                f"add this statement to the key policy: {statement_text(statement)}\n{command}",
                subject=subject,
            )
        )
    return checks
