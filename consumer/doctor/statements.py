"""The policy statements Amazon documents for SP-API notifications, and the commands that add them: what the
doctor prints as the fix when a policy does not let a sender in."""

from __future__ import annotations

import json
import shlex
from typing import Any

from consumer.doctor.policy import EVENTBRIDGE_SERVICE, SPAPI_ACCOUNT


def spapi_queue_statement(queue_arn: str) -> dict[str, Any]:
    """Amazon's SP-API notification service sends to the queue (and reads its attributes when the
    destination is created)."""
    return {
        "Sid": "AllowSellingPartnerApiNotifications",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{SPAPI_ACCOUNT}:root"},
        "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes"],
        "Resource": queue_arn,
    }


def eventbridge_queue_statement(queue_arn: str, rule_arn: str | None) -> dict[str, Any]:
    """An EventBridge rule sends to the queue (only that rule, when its ARN is known)."""
    statement: dict[str, Any] = {
        "Sid": "AllowEventBridgeRule",
        "Effect": "Allow",
        "Principal": {"Service": EVENTBRIDGE_SERVICE},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
    }
    if rule_arn:
        statement["Condition"] = {"ArnEquals": {"aws:SourceArn": rule_arn}}
    return statement


def kms_key_statement(principal: dict[str, str], sid: str) -> dict[str, Any]:
    """A sender may encrypt messages with the queue's key (SSE-KMS)."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": principal,
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": "*",
    }


def with_statement(policy: str | None, statement: dict[str, Any]) -> dict[str, Any]:
    """The policy with ``statement`` added (a fresh policy when there is none or it cannot be read)."""
    try:
        document = json.loads(policy) if policy else {}
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        statements = []
    return {
        "Version": document.get("Version", "2012-10-17"),
        **document,
        "Statement": [*statements, statement],
    }


def set_queue_policy_command(queue_url: str, region: str, policy: dict[str, Any]) -> str:
    """The aws CLI command that sets the queue's policy."""
    attributes = json.dumps({"Policy": json.dumps(policy, separators=(",", ":"))}, separators=(",", ":"))
    return (
        f"aws sqs set-queue-attributes --region {region} --queue-url {shlex.quote(queue_url)} "
        f"--attributes {shlex.quote(attributes)}"
    )


def put_key_policy_command(key_id: str, region: str, policy: dict[str, Any]) -> str:
    """The aws CLI command that sets the key's policy."""
    text = json.dumps(policy, separators=(",", ":"))
    return (
        f"aws kms put-key-policy --region {region} --key-id {shlex.quote(key_id)} --policy-name default "
        f"--policy {shlex.quote(text)}"
    )


def statement_text(statement: dict[str, Any]) -> str:
    """A statement as one line of JSON."""
    return json.dumps(statement, separators=(", ", ": "))
