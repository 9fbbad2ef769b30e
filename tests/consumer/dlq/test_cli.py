"""``spapi-notify replay`` and ``spapi-notify dlq show`` through the real command line (CliRunner)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from consumer.intake.dead_letter import REASON
from handlers.errors import Reason
from tests.builders import example, notification_id_of, set_ids, steered
from tests.fixtures.cli import invoke, json_lines
from tests.fixtures.dlq_entries import dead_lettered, redriven, send_entries
from tests.fixtures.queues import Queues, drain, queue_depth


@pytest.fixture
async def filled(sqs: Any, queues: Queues) -> dict[str, Any]:
    """Three dead letters (two ORDER_CHANGE, one of the test type) and one redriven message."""
    orders = [set_ids(example("OrderChangeNotification.json")) for _ in range(2)]
    other = steered(SellerId="A2OTHER")
    stuck = steered(SellerId="A2STUCK")
    ids = await send_entries(
        sqs,
        queues.dlq_url,
        [
            dead_lettered(queues, orders[0], Reason.SCHEMA_VIOLATION, error="Payload.X is missing"),
            dead_lettered(queues, orders[1], Reason.SCHEMA_VIOLATION),
            dead_lettered(queues, other, Reason.HANDLER_REJECTED),
            redriven(stuck),
        ],
    )
    return {"orders": orders, "other": other, "stuck": stuck, "ids": ids}


def env(queues: Queues, **extra: str) -> dict[str, str]:
    return {"SPAPI_NOTIFY_QUEUE_URL": queues.url, "SPAPI_NOTIFY_LOG_FORMAT": "console", **extra}


async def test_a_dry_run_lists_everything_as_json_and_moves_nothing(
    queues: Queues, filled: dict[str, Any]
) -> None:
    result = await invoke("replay", "--dry-run", "--json", env=env(queues))

    assert result.exit_code == 0, result.output
    lines = json_lines(result.stdout)
    messages, summary = lines[:-1], lines[-1]
    assert {m["message_id"] for m in messages} == set(filled["ids"])
    assert {m["action"] for m in messages} == {"would_replay"}
    first = next(m for m in messages if m["message_id"] == filled["ids"][0])
    assert first["notification_type"] == "ORDER_CHANGE"
    assert first["seller"] == "A3TH9S8BH6GOGM"
    assert first["notification_id"] == notification_id_of(filled["orders"][0])
    assert (first["reason"], first["error"], first["receive_count"]) == (
        "schema_violation",
        "Payload.X is missing",
        1,
    )
    assert first["source_queue"] == queues.arn
    stuck = next(m for m in messages if m["message_id"] == filled["ids"][3])
    assert (stuck["reason"], stuck["dead_lettered_by"], stuck["seller"]) == (None, "redrive", "A2STUCK")
    assert summary == {
        "kind": "summary",
        "dry_run": True,
        "replayed": 0,
        "selected": 4,
        "skipped": 0,
        "failed": 0,
        "release_refused": 0,
        "move_task": None,
    }
    assert await queue_depth(queues.url) == (0, 0)
    assert await queue_depth(queues.dlq_url) == (4, 0)


async def test_a_filtered_replay_lists_what_it_moved_and_sums_up(
    queues: Queues, filled: dict[str, Any]
) -> None:
    result = await invoke(
        "replay", "--type", "ORDER_CHANGE", "--reason", "schema_violation", "--max", "1", env=env(queues)
    )

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-1] == "replayed 1, skipped 3, failed 0"
    [listed] = lines[:-1]
    assert listed.startswith("replayed")
    assert "ORDER_CHANGE" in listed
    assert "seller=A3TH9S8BH6GOGM" in listed
    assert "reason=schema_violation" in listed
    assert await queue_depth(queues.url) == (1, 0)
    assert await queue_depth(queues.dlq_url) == (3, 0)


async def test_without_filters_it_falls_back_when_the_endpoint_has_no_move_task(
    queues: Queues, filled: dict[str, Any]
) -> None:
    result = await invoke("replay", env=env(queues))

    assert result.exit_code == 0, result.output
    assert "StartMessageMoveTask unavailable" in result.stderr
    assert result.stdout.splitlines()[-1] == "replayed 4, skipped 0, failed 0"
    moved = await drain(queues.url)
    bodies = [*filled["orders"], filled["other"], filled["stuck"]]
    assert sorted(m["Body"] for m in moved) == sorted(json.dumps(b) for b in bodies)
    assert all(REASON not in m.get("MessageAttributes", {}) for m in moved)
    assert await queue_depth(queues.dlq_url) == (0, 0)


async def test_a_failed_send_exits_non_zero_and_deletes_nothing(
    queues: Queues, filled: dict[str, Any]
) -> None:
    nowhere = queues.url + "-does-not-exist"
    result = await invoke("replay", "--type", "ORDER_CHANGE", "--to-queue-url", nowhere, env=env(queues))

    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[-1] == "replayed 0, skipped 2, failed 2"
    assert "send failed" in result.stdout
    assert await queue_depth(queues.dlq_url) == (4, 0)


async def test_the_dlq_comes_from_the_options_or_settings_else_a_clear_error(
    queues: Queues, filled: dict[str, Any]
) -> None:
    by_option = await invoke("replay", "--dry-run", "--dlq-url", queues.dlq_url, env={})
    assert by_option.exit_code == 0, by_option.output
    assert by_option.stdout.splitlines()[-1] == "dry run: would replay 4, skipped 0, failed 0"
    by_setting = await invoke("replay", "--dry-run", env={"SPAPI_NOTIFY_DLQ_URL": queues.dlq_url})
    assert by_setting.exit_code == 0, by_setting.output

    missing = await invoke("replay", "--dry-run", env={})
    assert missing.exit_code == 2
    assert "--dlq-url" in missing.stderr
    bad_time = await invoke("replay", "--since", "last tuesday", env=env(queues))
    assert bad_time.exit_code == 2
    assert "ISO 8601" in bad_time.stderr


async def test_dlq_show_finds_a_message_by_message_id_or_notification_id(
    queues: Queues, filled: dict[str, Any]
) -> None:
    shown = await invoke("dlq", "show", filled["ids"][0], env=env(queues))

    assert shown.exit_code == 0, shown.output
    assert "notification_type:  ORDER_CHANGE" in shown.stdout
    assert "reason:             schema_violation" in shown.stdout
    assert f"spapi-notify.source-queue: {queues.arn}" in shown.stdout
    assert shown.stdout.rstrip().endswith(json.dumps(filled["orders"][0]))

    by_notification = await invoke(
        "dlq", "show", notification_id_of(filled["orders"][1]), "--json", env=env(queues)
    )
    assert by_notification.exit_code == 0, by_notification.output
    described = json.loads(by_notification.stdout)
    assert described["message_id"] == filled["ids"][1]
    assert described["body"] == json.dumps(filled["orders"][1])
    assert described["message_attributes"][REASON]["StringValue"] == "schema_violation"
    assert "SentTimestamp" in described["attributes"]

    missing = await invoke("dlq", "show", "no-such-message", env=env(queues))
    assert missing.exit_code == 1
    assert "no such message" in missing.stderr
    # Looking moved nothing and left nothing hidden.
    assert await queue_depth(queues.dlq_url) == (4, 0)
