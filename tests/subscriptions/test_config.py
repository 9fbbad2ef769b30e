"""The desired state file: every mistake that needs no SP-API call fails up front, saying what to do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from spapi.model_catalog import notification_schema_files
from spapi.regions import Region
from subscriptions.config import ConfigError, load_config, parse_config, resolve
from subscriptions.types import KNOWN_TYPES
from tests.fixtures.paths import REPO


def config(types: list[dict[str, Any]], **destination: object) -> dict[str, Any]:
    return {
        "destinations": {"main": destination or {"sqs_arn": "arn:aws:sqs:us-east-1:123456789012:q"}},
        "subscriptions": [{"sellers": "all", "destination": "main", "types": types}],
    }


def test_the_example_file_is_valid() -> None:
    loaded = load_config(REPO / "subscriptions.example.toml")
    loaded.check_region(Region.NA)
    wants = resolve(loaded, ["A1", "A2"])
    assert ("A2EXAMPLESELLER", "ANY_OFFER_CHANGED") in wants
    order = wants[("A1", "ORDER_CHANGE")]
    assert order.directive is not None
    assert order.directive.model_dump(by_alias=True, exclude_none=True) == {
        "eventFilter": {
            "eventFilterType": "ORDER_CHANGE",
            "orderChangeTypes": ["OrderStatusChange", "BuyerRequestedChange"],
        }
    }


def test_event_filter_and_filter_expression_together_are_refused() -> None:
    types = [
        {
            "type": "ORDER_CHANGE",
            "payload_version": "1.0",
            "event_filter": {"marketplace_ids": ["ATVPDKIKX0DER"]},
            "filter_expression": "$.x == 1",
        }
    ]
    with pytest.raises(ConfigError, match="mutually exclusive") as caught:
        parse_config(config(types))
    assert "subscriptions[0].types[0]" in str(caught.value)


def test_unknown_type_is_refused_with_a_suggestion() -> None:
    with pytest.raises(
        ConfigError, match="unknown notification type 'ORDER_CHANGES'; did you mean ORDER_CHANGE"
    ):
        parse_config(config([{"type": "ORDER_CHANGES", "payload_version": "1.0"}]))


def test_event_filter_only_for_types_that_take_one() -> None:
    types = [{"type": "REPORT_PROCESSING_FINISHED", "payload_version": "1.0", "event_filter": {}}]
    with pytest.raises(ConfigError, match="takes no event_filter"):
        parse_config(config(types))
    bad_change = [
        {"type": "ORDER_CHANGE", "payload_version": "1.0", "event_filter": {"order_change_types": ["Nope"]}}
    ]
    with pytest.raises(ConfigError, match="unknown order change type"):
        parse_config(config(bad_change))


def test_sqs_queue_in_the_wrong_region_is_refused() -> None:
    loaded = parse_config(config([{"type": "ORDER_CHANGE", "payload_version": "1.0"}]))
    loaded.check_region(Region.NA)
    with pytest.raises(
        ConfigError, match=r"SQS queue is in us-east-1.*eu region delivers to queues in eu-west-1"
    ):
        loaded.check_region(Region.EU)


def test_destinations_are_checked() -> None:
    with pytest.raises(ConfigError, match="not an SQS queue ARN"):
        parse_config(config([{"type": "ORDER_CHANGE", "payload_version": "1.0"}], sqs_arn="queue"))
    with pytest.raises(ConfigError, match="either sqs_arn, or eventbridge"):
        parse_config(
            config(
                [{"type": "ORDER_CHANGE", "payload_version": "1.0"}],
                sqs_arn="arn:aws:sqs:us-east-1:123456789012:q",
                eventbridge_account_id="123456789012",
            )
        )
    data = config([{"type": "ORDER_CHANGE", "payload_version": "1.0", "destination": "nowhere"}])
    with pytest.raises(ConfigError, match="names destination 'nowhere'"):
        parse_config(data)


def test_a_type_twice_for_a_seller_is_refused_but_a_named_seller_overrides_all() -> None:
    data = config([{"type": "ORDER_CHANGE", "payload_version": "1.0"}])
    data["subscriptions"] = [
        *data["subscriptions"],
        {
            "sellers": ["A1"],
            "destination": "main",
            "types": [{"type": "ORDER_CHANGE", "payload_version": "2.0"}],
        },
    ]
    wants = resolve(parse_config(data), ["A1", "A2"])
    assert wants[("A1", "ORDER_CHANGE")].payload_version == "2.0"
    assert wants[("A2", "ORDER_CHANGE")].payload_version == "1.0"
    twice = config([{"type": "ORDER_CHANGE", "payload_version": "1.0"}] * 2)
    with pytest.raises(ConfigError, match="listed twice"):
        resolve(parse_config(twice), ["A1"])


def test_unreadable_files_say_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("destinations = [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)
    as_yaml = tmp_path / "desired.yaml"
    as_yaml.write_text(json.dumps(config([{"type": "ORDER_CHANGE", "payload_version": "1.0"}])))
    assert load_config(as_yaml).destinations["main"].kind == "sqs"


def test_every_schema_notification_type_is_known() -> None:
    for path in notification_schema_files():
        schema = json.loads(path.read_text())
        for example in schema.get("examples", []):
            kind = example.get("NotificationType") or example.get("notificationType")
            assert kind in KNOWN_TYPES, path.name


def test_several_subscriptions_to_a_type_when_their_directives_differ() -> None:
    shipped = {"type": "ORDER_CHANGE", "payload_version": "1.0", "filter_expression": "a == 1"}
    cancelled = {"type": "ORDER_CHANGE", "payload_version": "1.0", "filter_expression": "a == 2"}
    marketplace = {
        "type": "ORDER_CHANGE",
        "payload_version": "1.0",
        "event_filter": {"marketplace_ids": ["X", "Y"]},
    }
    wants = resolve(parse_config(config([shipped, cancelled, marketplace])), ["A1"])
    assert len(wants.of("A1", "ORDER_CHANGE")) == 3
    with pytest.raises(LookupError, match=r"use Wants\.of"):
        wants[("A1", "ORDER_CHANGE")]
    # The same directive twice (lists in another order say the same) is one subscription listed twice.
    reordered = {**marketplace, "payload_version": "2.0", "event_filter": {"marketplace_ids": ["Y", "X"]}}
    with pytest.raises(ConfigError, match="listed twice for all sellers with the same processing directive"):
        resolve(parse_config(config([marketplace, reordered])), ["A1"])
    # A named seller overrides every "all" subscription of the types it lists.
    data = config([shipped, cancelled])
    data["subscriptions"].append({"sellers": ["A1"], "destination": "main", "types": [shipped]})
    wants = resolve(parse_config(data), ["A1", "A2"])
    assert [w.directive_key for w in wants.of("A1", "ORDER_CHANGE")] == ['{"filterExpression":"a == 1"}']
    assert len(wants.of("A2", "ORDER_CHANGE")) == 2
