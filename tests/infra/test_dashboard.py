"""infra/grafana/spapi-notify.json: every panel's query (and every alert rule's) names only metrics that a
running daemon exports on /metrics, every metric the daemon exports has a panel, and the dashboard is well
formed. The check itself is shown to fail on a copy with one metric renamed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from consumer.ops.metrics import Metrics
from store.engine import create_engine
from store.migrate import upgrade
from tests.fixtures.daemons import daemon_settings, running
from tests.fixtures.paths import REPO
from tests.fixtures.polling import eventually
from tests.fixtures.queues import Queues

DASHBOARD = REPO / "infra" / "grafana" / "spapi-notify.json"
RULES = REPO / "infra" / "prometheus" / "alerts.yaml"
METRIC = re.compile(r"\bspapi_notify_[A-Za-z0-9_]+")
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
# The series each metric type exports, after its family name (counters are named without _total here).
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}


def load_dashboard(path: Path = DASHBOARD) -> dict[str, Any]:
    loaded = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, those inside rows too."""
    for panel in dashboard["panels"]:
        yield panel
        yield from panels({"panels": panel.get("panels", [])})


def queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(panel title, PromQL) of every target of every panel, and the template variables' queries."""
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            yield f"variable {variable['name']}", str(variable.get("query", ""))


def rule_queries() -> Iterator[tuple[str, str]]:
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    for group in rules["groups"]:
        for rule in group["rules"]:
            yield f"alert {rule.get('alert') or rule.get('record')}", rule["expr"]


def metric_names(expr: str) -> set[str]:
    """The spapi_notify_* metric names a PromQL expression selects (label values in strings left out)."""
    return set(METRIC.findall(STRING.sub('""', expr)))


def exported(metrics_text: str) -> set[str]:
    """Every series name an exposition can hold, labelled families without samples yet included."""
    names: set[str] = set()
    for family in text_string_to_metric_families(metrics_text):
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names


def unknown_metrics(named: Iterator[tuple[str, str]], names: set[str]) -> dict[str, set[str]]:
    """Where a query names a metric that is not among ``names``: {panel or rule: the unknown names}."""
    found: dict[str, set[str]] = {}
    for where, expr in named:
        missing = metric_names(expr) - names
        if missing:
            found.setdefault(where, set()).update(missing)
    return found


def families_on_the_dashboard(dashboard: dict[str, Any], metrics_text: str) -> dict[str, bool]:
    """Each exported family (by name) -> whether some panel's query selects one of its series."""
    used = set().union(*(metric_names(expr) for _, expr in queries(dashboard)))
    return {
        family.name: bool(used & {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))})
        for family in text_string_to_metric_families(metrics_text)
        # prometheus_client's creation timestamps arrive as families of their own: not worth a panel.
        if family.name.startswith("spapi_notify_") and not family.name.endswith("_created")
    }


async def test_queries_name_only_metrics_a_running_daemon_exports(queues: Queues, sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    async with running(daemon_settings(queues, sqlite_url)) as daemon:
        url = f"http://127.0.0.1:{daemon.http_port}/metrics"
        async with httpx.AsyncClient() as client:
            response = await eventually(lambda: client.get(url, timeout=5), lambda r: r.status_code == 200)
    text = response.text
    names = exported(text)
    assert "spapi_notify_notifications_processed_total" in names  # a labelled counter with no sample yet

    dashboard = load_dashboard()
    assert not unknown_metrics(queries(dashboard), names), (
        "dashboard panels name metrics the daemon does not export"
    )
    assert not unknown_metrics(rule_queries(), names), "alert rules name metrics the daemon does not export"
    without_panel = [name for name, shown in families_on_the_dashboard(dashboard, text).items() if not shown]
    assert not without_panel, f"metrics the daemon exports with no panel on the dashboard: {without_panel}"


def test_the_check_fails_on_a_copy_with_a_renamed_metric(tmp_path: Path) -> None:
    names = exported(generate_latest(Metrics().registry).decode())
    original = DASHBOARD.read_text(encoding="utf-8")
    assert "spapi_notify_dead_lettered_total" in original
    copy = tmp_path / "spapi-notify.json"
    copy.write_text(original.replace("spapi_notify_dead_lettered_total", "spapi_notify_dead_letters_total"))
    assert not unknown_metrics(queries(load_dashboard()), names)
    assert unknown_metrics(queries(load_dashboard(copy)), names) == {
        "Dead-lettered by reason": {"spapi_notify_dead_letters_total"}
    }


def test_label_values_and_functions_are_not_taken_for_metrics() -> None:
    expr = 'sum by (queue) (rate(spapi_notify_x_total{queue="spapi_notify_not_a_metric"}[5m])) > 0'
    assert metric_names(expr) == {"spapi_notify_x_total"}


def test_the_dashboard_is_well_formed() -> None:
    dashboard = load_dashboard()
    assert dashboard["uid"] == "spapi-notify"
    assert [variable["name"] for variable in dashboard["templating"]["list"]] == ["datasource"]
    ids = [panel["id"] for panel in panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels(dashboard):
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["description"], panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert metric_names(target["expr"]), (
                f"{panel['title']}: {target['expr']} selects no spapi_notify metric"
            )
