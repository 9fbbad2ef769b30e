"""``spapi-notify subscriptions`` end to end: the CLI, the sandbox over HTTP, and the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consumer.cli.main import app
from spapi.sandbox import SandboxServer, SandboxState
from tests.fixtures.clock import FakeClock
from tests.fixtures.spapi_config import CLIENT_ID, CLIENT_SECRET
from tests.fixtures.subscription_world import QUEUE_ARN, refresh_token, seller_id

CONFIG = f"""
[destinations.main]
sqs_arn = "{QUEUE_ARN}"

[[subscriptions]]
sellers = "all"
destination = "main"

  [[subscriptions.types]]
  type = "ORDER_CHANGE"
  payload_version = "1.0"
  [subscriptions.types.event_filter]
  order_change_types = ["OrderStatusChange"]

  [[subscriptions.types]]
  type = "REPORT_PROCESSING_FINISHED"
  payload_version = "2020-09-04"
"""


@pytest.fixture
def env(sandbox: SandboxServer, database_url: str, key: str) -> dict[str, str]:
    return {
        "SPAPI_NOTIFY_ENDPOINT": sandbox.url,
        "SPAPI_NOTIFY_LWA_ENDPOINT": sandbox.lwa_url,
        "SPAPI_NOTIFY_LWA_CLIENT_ID": CLIENT_ID,
        "SPAPI_NOTIFY_LWA_CLIENT_SECRET": CLIENT_SECRET,
        "SPAPI_NOTIFY_DATABASE_URL": database_url,
        "SPAPI_NOTIFY_ENCRYPTION_KEY": key,
    }


def invoke(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def setup(env: dict[str, str], state: SandboxState, sellers: int) -> list[str]:
    assert invoke(env, "db", "upgrade")[0] == 0
    ids = []
    for index in range(sellers):
        state.add_seller(refresh_token(index), seller_id(index))
        code, _, err = invoke(
            {**env, "SPAPI_NOTIFY_SELLER_REFRESH_TOKEN": refresh_token(index)},
            "sellers",
            "add",
            seller_id(index),
            "--region",
            "na",
        )
        assert code == 0, err
        ids.append(seller_id(index))
    return ids


def write(tmp_path: Path, text: str, name: str = "subscriptions.toml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_plan_apply_list_and_delete(
    env: dict[str, str], sandbox_state: SandboxState, clock: FakeClock, tmp_path: Path
) -> None:
    sellers = setup(env, sandbox_state, 2)
    config = write(tmp_path, CONFIG)

    code, out, err = invoke(env, "subscriptions", "plan", "--config", config)
    assert code == 0, err
    assert f"+ destination create  main: sqs {QUEUE_ARN}" in out
    assert f"+ subscription create  {sellers[0]} ORDER_CHANGE 1.0 -> main" in out
    assert "subscriptions: 4 to create, 0 to replace, 0 to delete, 0 unchanged" in out
    assert sandbox_state.calls["notifications.createSubscription"] == 0

    clock.advance(60)
    code, out, err = invoke(env, "subscriptions", "apply", "--config", config)
    assert code == 0, err
    assert out.count("+ created subscription") == 4
    assert sandbox_state.calls["notifications.createSubscription"] == 4
    held = sandbox_state.notifications.subscriptions[(sellers[0], "ORDER_CHANGE")]
    assert held.body["processingDirective"] == {
        "eventFilter": {"eventFilterType": "ORDER_CHANGE", "orderChangeTypes": ["OrderStatusChange"]}
    }

    clock.advance(60)
    code, out, err = invoke(env, "subscriptions", "apply", "--config", config)
    assert (code, out.strip()) == (0, "no changes: Amazon already holds the desired state"), err
    assert sandbox_state.calls["notifications.createSubscription"] == 4
    assert sum(sandbox_state.throttled.values()) == 0

    code, out, _ = invoke(env, "subscriptions", "list")
    assert code == 0
    assert held.subscription_id in out
    assert QUEUE_ARN in out
    code, out, _ = invoke(env, "subscriptions", "list", "--json")
    document = json.loads(out)
    assert len(document["subscriptions"]) == 4
    assert document["destinations"][0]["sqs_arn"] == QUEUE_ARN

    clock.advance(60)
    code, out, err = invoke(env, "subscriptions", "delete", held.subscription_id)
    assert (code, out.strip()) == (
        0,
        f"deleted subscription {held.subscription_id} ({sellers[0]} ORDER_CHANGE)",
    )
    assert (sellers[0], "ORDER_CHANGE") not in sandbox_state.notifications.subscriptions
    code, out, err = invoke(
        env, "subscriptions", "delete", "--seller", sellers[1], "--type", "REPORT_PROCESSING_FINISHED"
    )
    assert code == 0, err
    assert (sellers[1], "REPORT_PROCESSING_FINISHED") not in sandbox_state.notifications.subscriptions
    assert len(json.loads(invoke(env, "subscriptions", "list", "--json")[1])["subscriptions"]) == 2

    # The two deleted subscriptions come back with the next apply.
    clock.advance(60)
    code, out, err = invoke(env, "subscriptions", "plan", "--config", config)
    assert "subscriptions: 2 to create, 0 to replace, 0 to delete, 2 unchanged" in out


def test_partial_failure_exits_non_zero_naming_the_seller(
    env: dict[str, str], sandbox_state: SandboxState, tmp_path: Path
) -> None:
    sellers = setup(env, sandbox_state, 3)
    sandbox_state.revoke(refresh_token(2))
    code, out, err = invoke(env, "subscriptions", "apply", "--config", write(tmp_path, CONFIG))
    assert code == 1
    assert f"x failed {sellers[2]} (all types): Login with Amazon refused" in out
    assert f"for {sellers[2]}; everything else was applied" in err
    assert out.count("+ created subscription") == 4
    assert refresh_token(2) not in out + err


def test_configuration_errors_say_what_to_do(
    env: dict[str, str], sandbox_state: SandboxState, tmp_path: Path
) -> None:
    setup(env, sandbox_state, 1)
    unknown = write(tmp_path, CONFIG.replace('"ORDER_CHANGE"', '"ORDER_CHANGED"'), "unknown.toml")
    code, _, err = invoke(env, "subscriptions", "plan", "--config", unknown)
    assert code == 2
    assert "unknown notification type 'ORDER_CHANGED'; did you mean ORDER_CHANGE" in err

    wrong_region = write(tmp_path, CONFIG.replace("us-east-1", "eu-west-1"), "region.toml")
    code, _, err = invoke(env, "subscriptions", "apply", "--config", wrong_region)
    assert code == 2
    assert "create the queue in us-east-1" in err

    both = CONFIG.replace('order_change_types = ["OrderStatusChange"]', 'marketplace_ids = ["X"]').replace(
        'payload_version = "1.0"', 'payload_version = "1.0"\n  filter_expression = "$.a == 1"'
    )
    code, _, err = invoke(env, "subscriptions", "plan", "--config", write(tmp_path, both, "both.toml"))
    assert code == 2
    assert "mutually exclusive" in err

    sandbox_state.inject("notifications.getDestinations", 403)
    code, _, err = invoke(env, "subscriptions", "plan", "--config", write(tmp_path, CONFIG))
    assert code == 2
    assert "may not read destinations" in err
    assert sandbox_state.calls["notifications.createDestination"] == 0

    code, _, err = invoke(env, "subscriptions", "delete")
    assert code == 2
    assert "give a subscription id" in err


def test_eventbridge_apply_prints_the_next_step(
    env: dict[str, str], sandbox_state: SandboxState, tmp_path: Path
) -> None:
    setup(env, sandbox_state, 1)
    config = CONFIG.replace(
        f'sqs_arn = "{QUEUE_ARN}"',
        'eventbridge_account_id = "123456789012"\neventbridge_region = "us-east-1"',
    )
    code, out, err = invoke(env, "subscriptions", "apply", "--config", write(tmp_path, config))
    assert code == 0, err
    assert "next steps:" in out
    assert "associate the partner event source aws.partner/sellingpartnerapi.amazon.com/123456789012/" in out
