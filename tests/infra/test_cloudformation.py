"""infra/cloudformation/spapi-notify.yaml: cfn-lint clean, least-privilege policies, and deployable.

The policy documents are checked on the template itself (both sides of every condition), and the template
is deployed to the moto server to check what moto can show: queues, redrive, EventBridge rule and targets
(with an event actually routed to the queue), the IAM role and policies.

moto 5.x does not implement ``AWS::SQS::QueuePolicy``: it warns ("Tried to parse AWS::SQS::QueuePolicy but
it's not supported"), creates nothing and still completes the stack, so the queue policies are asserted from
the template; if moto ever applies them, the deploy tests compare them too.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]  # no boto3 stubs in the dev group: clients are Any
import pytest
import yaml

from tests.fixtures.paths import REPO

TEMPLATE = REPO / "infra" / "cloudformation" / "spapi-notify.yaml"

SP_API_PRINCIPAL = "arn:aws:iam::437568002678:root"
SP_API_SOURCE_PREFIX = "aws.partner/sellingpartnerapi.amazon.com"
EVENT_PATTERN = {"source": [{"prefix": SP_API_SOURCE_PREFIX}]}

QUEUE_ARN = {"Fn::GetAtt": ["NotificationsQueue", "Arn"]}
DLQ_ARN = {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
RULE_ARN = {"Fn::GetAtt": ["NotificationsRule", "Arn"]}

CONSUMER_QUEUE_ACTIONS = {
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
}
CONSUMER_DLQ_ACTIONS = {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
REPLAY_DLQ_ACTIONS = {
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:StartMessageMoveTask",
    "sqs:ListMessageMoveTasks",
    "sqs:CancelMessageMoveTask",
}
REPLAY_QUEUE_ACTIONS = {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
KMS_ACTIONS = {"kms:Decrypt", "kms:GenerateDataKey"}

DEPLOY_DEADLINE = 30.0  # seconds; moto creates stacks synchronously, the first one in ~3 s (its imports)
POLL_INTERVAL = 0.05


# --- reading the template -------------------------------------------------------------------------


class _CfnLoader(yaml.SafeLoader):
    """A SafeLoader reading CloudFormation's short forms (!Ref, !GetAtt, !Sub, !If...) as their long forms."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix in ("Ref", "Condition"):
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template() -> dict[str, Any]:
    loaded = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_CfnLoader)
    assert isinstance(loaded, dict)
    return loaded


_NO_VALUE = object()


def resolve(node: Any, conditions: dict[str, bool]) -> Any:
    """``node`` with every Fn::If decided by ``conditions`` and every AWS::NoValue removed, as CloudFormation
    does; other intrinsic functions are left as they are."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            name, when_true, when_false = node["Fn::If"]
            return resolve(when_true if conditions[name] else when_false, conditions)
        if node == {"Ref": "AWS::NoValue"}:
            return _NO_VALUE
        resolved = {key: resolve(value, conditions) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not _NO_VALUE}
    if isinstance(node, list):
        items = [resolve(item, conditions) for item in node]
        return [item for item in items if item is not _NO_VALUE]
    return node


def condition_sets() -> Iterator[dict[str, bool]]:
    """Consistent combinations of the template's conditions (CreateBus implies HasPartnerBus)."""
    for bus in (False, True):
        for create_bus in (False, True) if bus else (False,):
            for kms in (False, True):
                for irsa in (False, True):
                    for reports in (False, True):
                        yield {
                            "HasPartnerBus": bus,
                            "CreateBus": create_bus,
                            "HasKmsKey": kms,
                            "UseIrsa": irsa,
                            "UsePodIdentity": False,
                            "HasReportBucket": reports,
                        }


CONDITION_SETS = list(condition_sets())


def condition_id(conditions: dict[str, bool]) -> str:
    return "+".join(name for name, value in conditions.items() if value) or "defaults"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resources_present(template: dict[str, Any], conditions: dict[str, bool]) -> dict[str, Any]:
    """The resources the stack has under ``conditions``, resolved."""
    return {
        name: resolve(resource, conditions)
        for name, resource in template["Resources"].items()
        if "Condition" not in resource or conditions[resource["Condition"]]
    }


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


# --- cfn-lint ---------------------------------------------------------------------------------------


def cfn_lint_command() -> list[str]:
    beside_python = Path(sys.executable).parent / "cfn-lint"
    found = str(beside_python) if beside_python.exists() else shutil.which("cfn-lint")
    assert found, "cfn-lint is not installed (it is in the dev dependency group)"
    return [found]


@pytest.mark.slow  # cfn-lint takes ~5 s to load its schemas
def test_cfn_lint_is_clean_without_warnings() -> None:
    result = subprocess.run(
        [*cfn_lint_command(), "--", str(TEMPLATE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_template_loader_reads_every_short_form(template: dict[str, Any]) -> None:
    text = json.dumps(template)
    assert "!" not in "".join(key for key in _keys(template))
    assert '"Fn::GetAtt": ["NotificationsQueue", "Arn"]' in text


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)


# --- queues -------------------------------------------------------------------------------------------


def test_parameters_defaults(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    assert parameters["MaxReceiveCount"]["Default"] == 5
    assert parameters["VisibilityTimeout"]["Default"] == 300
    assert parameters["ConsumerPrincipal"]["Default"] == "ecs-tasks.amazonaws.com"
    for optional in ("PartnerEventBusName", "KmsKeyArn", "EksOidcProviderArn", "ReportBucketName"):
        assert parameters[optional]["Default"] == "", optional
    assert parameters["CreatePartnerEventBus"]["Default"] == "false"
    # The report grant is <bucket>/<prefix>*: a wildcard inside the prefix would widen it.
    prefix_pattern = parameters["ReportPrefix"]["AllowedPattern"]
    assert re.fullmatch(prefix_pattern, parameters["ReportPrefix"]["Default"])
    assert not re.fullmatch(prefix_pattern, "reports/*")


def test_redrive_policy_points_at_the_dlq(template: dict[str, Any]) -> None:
    queue = template["Resources"]["NotificationsQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": DLQ_ARN,
        "maxReceiveCount": {"Ref": "MaxReceiveCount"},
    }
    assert queue["VisibilityTimeout"] == {"Ref": "VisibilityTimeout"}
    dlq = template["Resources"]["DeadLetterQueue"]["Properties"]
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert "RedrivePolicy" not in dlq
    # Only the notifications queue may dead-letter into the DLQ.
    allow = dlq["RedriveAllowPolicy"]
    assert allow["redrivePermission"] == "byQueue"
    assert [arn["Fn::Sub"] for arn in allow["sourceQueueArnList"]] == [
        "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${NamePrefix}-notifications"
    ]
    assert queue["QueueName"] == {"Fn::Sub": "${NamePrefix}-notifications"}


@pytest.mark.parametrize("kms", [False, True], ids=["sse-sqs", "sse-kms"])
def test_queues_are_encrypted(template: dict[str, Any], kms: bool) -> None:
    conditions = {**CONDITION_SETS[0], "HasKmsKey": kms}
    resources = resources_present(template, conditions)
    for name in ("NotificationsQueue", "DeadLetterQueue"):
        properties = resources[name]["Properties"]
        if kms:
            assert properties["KmsMasterKeyId"] == {"Ref": "KmsKeyArn"}
            assert "SqsManagedSseEnabled" not in properties
        else:
            assert properties["SqsManagedSseEnabled"] is True
            assert "KmsMasterKeyId" not in properties


# --- queue policies -----------------------------------------------------------------------------------


def statements_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    assert document["Version"] == "2012-10-17"
    return as_list(document["Statement"])


def principal_is_anyone(principal: Any) -> bool:
    return principal == "*" or (isinstance(principal, dict) and "*" in as_list(principal.get("AWS", [])))


def queue_policy(resources: dict[str, Any], queue: str) -> list[dict[str, Any]]:
    policies = [
        resource["Properties"]
        for resource in resources.values()
        if resource["Type"] == "AWS::SQS::QueuePolicy"
        and resource["Properties"]["Queues"] == [{"Ref": queue}]
    ]
    assert len(policies) == 1, f"{queue} needs exactly one queue policy"
    return statements_of(policies[0]["PolicyDocument"])


def assert_denies_insecure_transport(statements: list[dict[str, Any]], arn: dict[str, Any]) -> None:
    denies = [statement for statement in statements if statement["Effect"] == "Deny"]
    assert denies == [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sqs:*",
            "Resource": arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]


def assert_eventbridge_statement(statement: dict[str, Any], arn: dict[str, Any]) -> None:
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert as_list(statement["Action"]) == ["sqs:SendMessage"]
    assert statement["Resource"] == arn
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": RULE_ARN}}


@pytest.mark.parametrize("bus", [False, True], ids=["direct", "eventbridge"])
def test_notifications_queue_policy_lets_only_amazon_and_the_rule_send(
    template: dict[str, Any], bus: bool
) -> None:
    conditions = {**CONDITION_SETS[0], "HasPartnerBus": bus}
    statements = queue_policy(resources_present(template, conditions), "NotificationsQueue")
    assert_denies_insecure_transport(statements, QUEUE_ARN)

    allows = [statement for statement in statements if statement["Effect"] == "Allow"]
    for statement in allows:
        assert not principal_is_anyone(statement["Principal"]), statement
        assert "Condition" in statement or statement["Principal"] == {"AWS": SP_API_PRINCIPAL}
        assert statement["Resource"] == QUEUE_ARN

    amazon = [statement for statement in allows if statement["Principal"] == {"AWS": SP_API_PRINCIPAL}]
    assert len(amazon) == 1
    assert sorted(as_list(amazon[0]["Action"])) == ["sqs:GetQueueAttributes", "sqs:SendMessage"]
    assert "Condition" not in amazon[0]

    events = [statement for statement in allows if statement["Principal"] != {"AWS": SP_API_PRINCIPAL}]
    if bus:
        assert len(events) == 1
        assert_eventbridge_statement(events[0], QUEUE_ARN)
    else:
        assert events == []


@pytest.mark.parametrize("bus", [False, True], ids=["direct", "eventbridge"])
def test_dlq_policy_lets_only_the_rule_send(template: dict[str, Any], bus: bool) -> None:
    conditions = {**CONDITION_SETS[0], "HasPartnerBus": bus}
    statements = queue_policy(resources_present(template, conditions), "DeadLetterQueue")
    assert_denies_insecure_transport(statements, DLQ_ARN)
    allows = [statement for statement in statements if statement["Effect"] == "Allow"]
    if bus:
        assert len(allows) == 1
        assert_eventbridge_statement(allows[0], DLQ_ARN)  # the rule target's dead-letter queue
    else:
        assert allows == []


# --- EventBridge --------------------------------------------------------------------------------------


def test_rule_matches_sp_api_events_and_targets_the_queue(template: dict[str, Any]) -> None:
    rule = template["Resources"]["NotificationsRule"]
    assert rule["Condition"] == "HasPartnerBus"
    assert template["Conditions"]["HasPartnerBus"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "PartnerEventBusName"}, ""]}]
    }
    properties = rule["Properties"]
    assert properties["EventPattern"] == EVENT_PATTERN
    assert properties["State"] == "ENABLED"
    assert [target["Arn"] for target in properties["Targets"]] == [QUEUE_ARN]
    assert properties["Targets"][0]["DeadLetterConfig"] == {"Arn": DLQ_ARN}
    bus_names: list[tuple[bool, dict[str, Any]]] = [
        (False, {"Ref": "PartnerEventBusName"}),
        (True, {"Fn::GetAtt": ["PartnerEventBus", "Name"]}),
    ]
    for create_bus, bus_name in bus_names:
        conditions = {**CONDITION_SETS[0], "HasPartnerBus": True, "CreateBus": create_bus}
        resolved = resources_present(template, conditions)["NotificationsRule"]["Properties"]
        assert resolved["EventBusName"] == bus_name


def test_partner_bus_is_optional_and_made_from_the_partner_source(template: dict[str, Any]) -> None:
    bus = template["Resources"]["PartnerEventBus"]
    assert bus["Condition"] == "CreateBus"
    assert bus["Properties"] == {
        "Name": {"Ref": "PartnerEventBusName"},
        "EventSourceName": {"Ref": "PartnerEventBusName"},
    }
    assert bus["DeletionPolicy"] == "Retain"


# --- IAM ----------------------------------------------------------------------------------------------


def identity_statements(resources: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """Every identity-policy statement that ``role`` gets from this template (inline, AWS::IAM::Policy and
    managed policies attached through their Roles)."""
    statements: list[dict[str, Any]] = []
    properties = resources[role]["Properties"]
    assert "ManagedPolicyArns" not in properties
    for policy in properties.get("Policies", []):
        statements += statements_of(policy["PolicyDocument"])
    for resource in resources.values():
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") and {"Ref": role} in resource[
            "Properties"
        ].get("Roles", []):
            statements += statements_of(resource["Properties"]["PolicyDocument"])
    return statements


def grants(statements: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Actions per resource (the resource rendered as JSON), after checking nothing is a wildcard."""
    granted: dict[str, set[str]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow", statement
        assert "NotAction" not in statement
        assert "NotResource" not in statement
        actions = as_list(statement["Action"])
        resources = as_list(statement["Resource"])
        for action in actions:
            assert "*" not in action, f"wildcard action {action!r}"
        for resource in resources:
            assert resource != "*", f"wildcard resource in {statement}"
            granted.setdefault(json.dumps(resource, sort_keys=True), set()).update(actions)
    return granted


def key(resource: Any) -> str:
    return json.dumps(resource, sort_keys=True)


KMS_KEY = {"Ref": "KmsKeyArn"}
REPORTS = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ReportBucketName}/${ReportPrefix}*"}


@pytest.mark.parametrize("conditions", CONDITION_SETS, ids=condition_id)
def test_consumer_role_is_least_privilege(template: dict[str, Any], conditions: dict[str, bool]) -> None:
    resources = resources_present(template, conditions)
    granted = grants(identity_statements(resources, "ConsumerRole"))
    expected = {key(QUEUE_ARN): CONSUMER_QUEUE_ACTIONS, key(DLQ_ARN): CONSUMER_DLQ_ACTIONS}
    if conditions["HasKmsKey"]:
        expected[key(KMS_KEY)] = KMS_ACTIONS
    if conditions["HasReportBucket"]:
        expected[key(REPORTS)] = {"s3:PutObject", "s3:AbortMultipartUpload"}
    assert granted == expected


@pytest.mark.parametrize("kms", [False, True], ids=["sse-sqs", "sse-kms"])
def test_replay_policy_is_separate_from_the_consumer(template: dict[str, Any], kms: bool) -> None:
    conditions = {**CONDITION_SETS[0], "HasKmsKey": kms}
    resources = resources_present(template, conditions)
    replay = resources["ReplayPolicy"]
    assert replay["Type"] == "AWS::IAM::ManagedPolicy"
    assert not {"Roles", "Users", "Groups"} & set(replay["Properties"]), "attached by the operator, not here"
    granted = grants(statements_of(replay["Properties"]["PolicyDocument"]))
    expected = {key(DLQ_ARN): REPLAY_DLQ_ACTIONS, key(QUEUE_ARN): REPLAY_QUEUE_ACTIONS}
    if kms:
        expected[key(KMS_KEY)] = KMS_ACTIONS
    assert granted == expected
    # ... and none of the replay-only actions reached the daemon.
    consumer = set().union(*grants(identity_statements(resources, "ConsumerRole")).values())
    assert not consumer & {
        "sqs:StartMessageMoveTask",
        "sqs:ListMessageMoveTasks",
        "sqs:CancelMessageMoveTask",
    }
    assert "sqs:ReceiveMessage" not in grants(identity_statements(resources, "ConsumerRole"))[key(DLQ_ARN)]


def test_scaler_policy_reads_queue_depth_only(template: dict[str, Any]) -> None:
    scaler = template["Resources"]["ScalerPolicy"]["Properties"]
    assert grants(statements_of(scaler["PolicyDocument"])) == {key(QUEUE_ARN): {"sqs:GetQueueAttributes"}}


def test_consumer_trusts_the_service_principal_by_default(template: dict[str, Any]) -> None:
    for pod_identity in (False, True):
        conditions = {**CONDITION_SETS[0], "UsePodIdentity": pod_identity}
        document = resources_present(template, conditions)["ConsumerRole"]["Properties"][
            "AssumeRolePolicyDocument"
        ]
        (statement,) = statements_of(document)
        assert statement["Principal"] == {"Service": {"Ref": "ConsumerPrincipal"}}
        expected = ["sts:AssumeRole", "sts:TagSession"] if pod_identity else ["sts:AssumeRole"]
        assert as_list(statement["Action"]) == expected


def substitute(sub: Any, values: dict[str, str]) -> str:
    """Evaluate a two-argument Fn::Sub whose variables are parameters or Select/Split of a parameter."""
    text, variables = sub["Fn::Sub"]
    resolved = dict(values)
    for name, expression in variables.items():
        index, (delimiter, source) = expression["Fn::Select"][0], expression["Fn::Select"][1]["Fn::Split"]
        resolved[name] = values[source["Ref"]].split(delimiter)[index]
    for name, value in resolved.items():
        text = text.replace("${" + name + "}", value)
    assert "${" not in text, text
    return str(text)


def test_irsa_trust_is_the_service_account_only(template: dict[str, Any]) -> None:
    conditions = {**CONDITION_SETS[0], "UseIrsa": True}
    document = resources_present(template, conditions)["ConsumerRole"]["Properties"][
        "AssumeRolePolicyDocument"
    ]
    provider = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF"
    rendered = substitute(
        document,
        {"EksOidcProviderArn": provider, "ServiceAccountNamespace": "ns", "ServiceAccountName": "sa"},
    )
    (statement,) = statements_of(json.loads(rendered))
    issuer = "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF"
    assert statement == {
        "Sid": "EksServiceAccount",
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {
                f"{issuer}:sub": "system:serviceaccount:ns:sa",
                f"{issuer}:aud": "sts.amazonaws.com",
            }
        },
    }


def test_outputs(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    expected = {
        "QueueName",
        "QueueUrl",
        "QueueArn",
        "DlqUrl",
        "DlqArn",
        "ConsumerRoleArn",
        "ReplayPolicyArn",
        "ScalerPolicyArn",
        "EventBusName",
        "RuleArn",
    }
    assert set(outputs) == expected
    assert outputs["RuleArn"] == {
        "Condition": "HasPartnerBus",
        "Description": outputs["RuleArn"]["Description"],
        "Value": RULE_ARN,
    }
    assert outputs["QueueUrl"]["Value"] == {"Ref": "NotificationsQueue"}
    assert outputs["QueueArn"]["Value"] == QUEUE_ARN


# --- deployed to moto ---------------------------------------------------------------------------------


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create_stack(name: str, parameters: dict[str, str]) -> dict[str, str]:
    """Create the stack, wait for CREATE_COMPLETE, return its outputs."""
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=TEMPLATE.read_text(encoding="utf-8"),
        Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
    )
    deadline = time.monotonic() + DEPLOY_DEADLINE
    while True:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        status = stack["StackStatus"]
        if status == "CREATE_COMPLETE":
            return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
        if status != "CREATE_IN_PROGRESS":
            pytest.fail(f"stack {name}: {status} {stack.get('StackStatusReason')}")
        if time.monotonic() >= deadline:
            pytest.fail(f"stack {name} still {status} after {DEPLOY_DEADLINE}s")
        time.sleep(POLL_INTERVAL)


def queue_attributes(url: str) -> dict[str, str]:
    attributes: dict[str, str] = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["All"]
    )["Attributes"]
    return attributes


def check_queue_policy_if_moto_applied_it(attributes: dict[str, str]) -> None:
    if "Policy" not in attributes:  # moto ignores AWS::SQS::QueuePolicy (see the module docstring)
        return
    statements = json.loads(attributes["Policy"])["Statement"]
    senders = [
        statement["Principal"]
        for statement in statements
        if statement["Effect"] == "Allow" and "sqs:SendMessage" in as_list(statement["Action"])
    ]
    assert senders
    assert all(not principal_is_anyone(principal) for principal in senders)


def receive_all(url: str) -> list[dict[str, Any]]:
    """What the queue holds now (moto delivers EventBridge targets synchronously)."""
    sqs = boto3.client("sqs")
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not batch:
            return messages
        messages += batch


def assert_queues(outputs: dict[str, str], prefix: str, max_receive_count: int, visibility: int) -> None:
    sqs = boto3.client("sqs")
    assert sqs.get_queue_url(QueueName=f"{prefix}-notifications")["QueueUrl"].endswith(outputs["QueueName"])
    queue = queue_attributes(sqs.get_queue_url(QueueName=f"{prefix}-notifications")["QueueUrl"])
    dlq = queue_attributes(sqs.get_queue_url(QueueName=f"{prefix}-notifications-dlq")["QueueUrl"])
    assert queue["QueueArn"] == outputs["QueueArn"]
    assert dlq["QueueArn"] == outputs["DlqArn"]
    assert json.loads(queue["RedrivePolicy"]) == {
        "deadLetterTargetArn": outputs["DlqArn"],
        "maxReceiveCount": max_receive_count,
    }
    assert queue["VisibilityTimeout"] == str(visibility)
    assert dlq["MessageRetentionPeriod"] == str(14 * 24 * 3600)
    assert "RedrivePolicy" not in dlq
    for attributes in (queue, dlq):
        check_queue_policy_if_moto_applied_it(attributes)


def assert_rule(outputs: dict[str, str], bus: str) -> None:
    events = boto3.client("events")
    rule_name = outputs["RuleArn"].rsplit("/", 1)[1]
    rule = events.describe_rule(Name=rule_name, EventBusName=bus)
    assert rule["Arn"] == outputs["RuleArn"]
    assert rule["State"] == "ENABLED"
    assert json.loads(rule["EventPattern"]) == EVENT_PATTERN
    targets = events.list_targets_by_rule(Rule=rule_name, EventBusName=bus)["Targets"]
    assert [target["Arn"] for target in targets] == [outputs["QueueArn"]]
    assert targets[0]["DeadLetterConfig"] == {"Arn": outputs["DlqArn"]}


def role_policies(role_arn: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    iam = boto3.client("iam")
    name = role_arn.rsplit("/", 1)[1]
    trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    inline = {
        policy: as_document(iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
    }
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert attached == [], "the consumer's permissions are inline: no managed policy (e.g. replay) attached"
    return as_document(trust), inline


def as_document(document: Any) -> dict[str, Any]:
    """A policy document as a dict (boto3 decodes IAM's URL-encoded JSON; moto's may come back as text)."""
    parsed = json.loads(document) if isinstance(document, str) else document
    assert isinstance(parsed, dict)
    return parsed


@pytest.mark.filterwarnings("ignore:Tried to parse AWS..SQS..QueuePolicy:UserWarning")
def test_deploys_with_an_existing_partner_bus(moto_server: str) -> None:
    events = boto3.client("events")
    bus = unique("sp-api-bus")
    events.create_event_bus(Name=bus)
    prefix = unique("it")
    outputs = create_stack(
        unique("spapi-notify"),
        {
            "NamePrefix": prefix,
            "PartnerEventBusName": bus,
            "MaxReceiveCount": "3",
            "VisibilityTimeout": "120",
        },
    )

    assert_queues(outputs, prefix, max_receive_count=3, visibility=120)
    assert outputs["EventBusName"] == bus
    assert_rule(outputs, bus)

    # The pattern routes SP-API's events, and nothing else, into the queue.
    events.put_events(
        Entries=[
            {
                "EventBusName": bus,
                "Source": f"{SP_API_SOURCE_PREFIX}/111122223333/amzn1.sp.solution.test",
                "DetailType": "LISTINGS_ITEM_STATUS_CHANGE",
                "Detail": json.dumps({"marker": "sp-api"}),
            },
            {
                "EventBusName": bus,
                "Source": "com.example.other",
                "DetailType": "Other",
                "Detail": json.dumps({"marker": "other"}),
            },
        ]
    )
    delivered = [json.loads(message["Body"]) for message in receive_all(outputs["QueueUrl"])]
    assert [event["detail"] for event in delivered] == [{"marker": "sp-api"}]
    assert delivered[0]["source"].startswith(SP_API_SOURCE_PREFIX)

    trust, inline = role_policies(outputs["ConsumerRoleArn"])
    assert [statement["Principal"] for statement in trust["Statement"]] == [
        {"Service": "ecs-tasks.amazonaws.com"}
    ]
    assert set(inline) == {"spapi-notify-consumer"}
    document = inline["spapi-notify-consumer"]
    by_resource = {statement["Resource"]: set(statement["Action"]) for statement in document["Statement"]}
    assert by_resource == {
        outputs["QueueArn"]: CONSUMER_QUEUE_ACTIONS,
        outputs["DlqArn"]: CONSUMER_DLQ_ACTIONS,
    }

    replay = boto3.client("iam").get_policy(PolicyArn=outputs["ReplayPolicyArn"])["Policy"]
    assert replay["AttachmentCount"] == 0


@pytest.mark.filterwarnings("ignore:Tried to parse AWS..SQS..QueuePolicy:UserWarning")
def test_deploys_creating_the_partner_bus_with_irsa_kms_and_reports(moto_server: str) -> None:
    """CreatePartnerEventBus=true: the stack makes the bus from the partner event source.

    The source here has no "/" in its name, unlike SP-API's real
    ``aws.partner/sellingpartnerapi.amazon.com/...``: moto reads a rule's EventBusName as an ARN and keeps
    only its last path segment, so it cannot put a rule on a bus whose name has slashes (EventBridge can).
    """
    events = boto3.client("events")
    account = boto3.client("sts").get_caller_identity()["Account"]
    source = unique("sellingpartnerapi-source")
    events.create_partner_event_source(Name=source, Account=account)
    prefix = unique("it")
    provider = f"arn:aws:iam::{account}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/{uuid.uuid4().hex}"
    outputs = create_stack(
        unique("spapi-notify"),
        {
            "NamePrefix": prefix,
            "PartnerEventBusName": source,
            "CreatePartnerEventBus": "true",
            "EksOidcProviderArn": provider,
            "ServiceAccountNamespace": "payments",
            "ServiceAccountName": "consumer",
            "KmsKeyArn": f"arn:aws:kms:us-east-1:{account}:key/{uuid.uuid4()}",
            "ReportBucketName": "spapi-notify-reports-test",
        },
    )

    assert events.describe_event_bus(Name=source)["Name"] == source
    assert outputs["EventBusName"] == source
    assert_queues(outputs, prefix, max_receive_count=5, visibility=300)
    assert_rule(outputs, source)

    trust, inline = role_policies(outputs["ConsumerRoleArn"])
    (statement,) = trust["Statement"]
    issuer = provider.split(":oidc-provider/", 1)[1]
    assert statement["Principal"] == {"Federated": provider}
    assert statement["Condition"]["StringEquals"] == {
        f"{issuer}:sub": "system:serviceaccount:payments:consumer",
        f"{issuer}:aud": "sts.amazonaws.com",
    }
    actions = {
        action
        for document in inline.values()
        for granted in as_list(document["Statement"])
        for action in as_list(granted["Action"])
    }
    assert actions == CONSUMER_QUEUE_ACTIONS | CONSUMER_DLQ_ACTIONS | KMS_ACTIONS | {
        "s3:PutObject",
        "s3:AbortMultipartUpload",
    }


@pytest.mark.filterwarnings("ignore:Tried to parse AWS..SQS..QueuePolicy:UserWarning")
def test_deploys_without_eventbridge(moto_server: str) -> None:
    prefix = unique("it")
    outputs = create_stack(unique("spapi-notify"), {"NamePrefix": prefix})
    assert "RuleArn" not in outputs
    assert "EventBusName" not in outputs
    assert_queues(outputs, prefix, max_receive_count=5, visibility=300)
    rules = boto3.client("events").list_rules(NamePrefix=prefix)["Rules"]
    assert rules == []
