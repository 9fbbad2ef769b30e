"""infra/prometheus: the alerting rules pass `promtool check rules`, every alert fires on its firing series
and stays quiet on its quiet ones (`promtool test rules`), links to its README entry, and the PrometheusRule
in infra/k8s carries the same rules."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml

from tests.fixtures.paths import REPO

RULES = REPO / "infra" / "prometheus" / "alerts.yaml"
RULE_TESTS = REPO / "infra" / "prometheus" / "alerts_test.yaml"
PROMETHEUS_RULE = REPO / "infra" / "k8s" / "prometheusrule.yaml"
PROMTOOL = REPO / "scripts" / "promtool"
RUNBOOK_BASE = "https://example.com/spapi-notify/README.md#"
SEVERITIES = {"warning", "critical"}


def load(path: Any) -> Any:
    with path.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def alerts() -> list[dict[str, Any]]:
    return [rule for group in load(RULES)["groups"] for rule in group["rules"] if "alert" in rule]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PROMTOOL), *args], capture_output=True, text=True, timeout=600, check=False)


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def readme_anchors() -> set[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return {github_anchor(line.lstrip("#")) for line in text.splitlines() if re.match(r"#{1,6} ", line)}


def test_promtool_checks_the_rules() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    cases: dict[str, set[str]] = {alert["alert"]: set() for alert in alerts()}
    assert load(RULE_TESTS)["rule_files"] == [RULES.name]
    for test in load(RULE_TESTS)["tests"]:
        for case in test["alert_rule_test"]:
            assert case["alertname"] in cases, f"{test['name']}: no alert {case['alertname']}"
            cases[case["alertname"]].add("firing" if case["exp_alerts"] else "quiet")
    missing = {
        name: {"firing", "quiet"} - kinds for name, kinds in cases.items() if kinds != {"firing", "quiet"}
    }
    assert not missing, f"alerts without a firing or a quiet case: {missing}"


@pytest.mark.parametrize("alert", alerts(), ids=lambda alert: alert["alert"])
def test_every_alert_says_how_bad_and_where_the_runbook_is(alert: dict[str, Any]) -> None:
    assert alert["labels"]["severity"] in SEVERITIES
    assert alert["annotations"]["summary"]
    url = alert["annotations"]["runbook_url"]
    assert url.startswith(RUNBOOK_BASE), url
    anchor = url.removeprefix(RUNBOOK_BASE)
    assert anchor == github_anchor(alert["alert"]), "each alert links to the README entry of its own name"
    assert anchor in readme_anchors(), f"README.md has no heading for #{anchor}"


def test_the_prometheus_rule_manifest_carries_the_same_rules() -> None:
    manifest = load(PROMETHEUS_RULE)
    assert (manifest["apiVersion"], manifest["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
    assert manifest["spec"]["groups"] == load(RULES)["groups"]
