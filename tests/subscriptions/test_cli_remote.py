"""``subscriptions list --remote`` shows what Amazon holds, not only what apply recorded; ``delete --seller
--type`` refuses to guess among several subscriptions to a type."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from consumer.cli.main import app
from spapi.sandbox import SandboxServer, SandboxState
from tests.fixtures.spapi_config import CLIENT_ID, CLIENT_SECRET
from tests.fixtures.subscription_world import QUEUE_ARN, World


async def invoke(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """The command in a thread: it runs its own event loop."""
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def env(sandbox: SandboxServer, database_url: str, key: str) -> dict[str, str]:
    return {
        "SPAPI_NOTIFY_ENDPOINT": sandbox.url,
        "SPAPI_NOTIFY_LWA_ENDPOINT": sandbox.lwa_url,
        "SPAPI_NOTIFY_LWA_CLIENT_ID": CLIENT_ID,
        "SPAPI_NOTIFY_LWA_CLIENT_SECRET": CLIENT_SECRET,
        "SPAPI_NOTIFY_DATABASE_URL": database_url,
        "SPAPI_NOTIFY_ENCRYPTION_KEY": key,
        "SPAPI_NOTIFY_LOG_LEVEL": "warning",
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_list_remote_shows_what_amazon_holds(
    world: World, env: dict[str, str], sandbox_state: SandboxState
) -> None:
    first, second = await world.add_sellers(2)
    notifications = sandbox_state.notifications
    destination = notifications.add_destination("main", sqs_arn=QUEUE_ARN)["destinationId"]
    for expression in ("a == 1", "a == 2"):
        notifications.add_subscription(
            first,
            "ORDER_CHANGE",
            payload_version="1.0",
            destination_id=destination,
            processing_directive={"filterExpression": expression},
        )
    notifications.add_subscription(
        second, "REPORT_PROCESSING_FINISHED", payload_version="2020-09-04", destination_id=destination
    )
    types = ("--type", "ORDER_CHANGE", "--type", "REPORT_PROCESSING_FINISHED")

    code, out, err = await invoke(env, "subscriptions", "list", "--remote", "--json", *types)
    assert code == 0, err
    document = json.loads(out)
    held = [(s["seller_id"], s["notification_type"], s["recorded"]) for s in document["subscriptions"]]
    assert held == [
        (first, "ORDER_CHANGE", False),
        (first, "ORDER_CHANGE", False),
        (second, "REPORT_PROCESSING_FINISHED", False),
    ]
    assert [s["processing_directive"] for s in document["subscriptions"][:2]] == [
        {"filterExpression": "a == 1"},
        {"filterExpression": "a == 2"},
    ]
    assert document["destinations"][0]["resource"] == {"sqs": {"arn": QUEUE_ARN}}
    assert document["failures"] == []
    # Nothing was recorded: the database view is empty, Amazon's is not.
    assert "no destinations or subscriptions recorded" in (await invoke(env, "subscriptions", "list"))[1]

    world.later()
    code, out, _ = await invoke(
        env, "subscriptions", "list", "--remote", "--seller", first, "--type", "ORDER_CHANGE"
    )
    assert code == 0
    assert out.count("[filterExpression a == ") == 2
    assert second not in out

    world.later()
    code, _, err = await invoke(env, "subscriptions", "delete", "--seller", first, "--type", "ORDER_CHANGE")
    assert code == 2
    assert f"{first} holds 2 ORDER_CHANGE subscriptions" in err
    assert len(notifications.of(first, "ORDER_CHANGE")) == 2

    code, _, err = await invoke(env, "subscriptions", "list", "--remote", "--type", "ORDER_CHANGED")
    assert code == 2
    assert "did you mean ORDER_CHANGE" in err
