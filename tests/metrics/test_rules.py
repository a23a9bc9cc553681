"""The alert rules pass promtool's own tests, and the dashboard and the rules query only
metrics untxt exports, in PromQL that Prometheus accepts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.metrics.helpers import names

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
RULES_TEST = ROOT / "deploy" / "prometheus" / "alerts_test.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "untxt.json"
ALERTS = {
    "UntxtQueueGrowing",
    "UntxtOldestJobTooOld",
    "UntxtJobFailureRate",
    "UntxtNoWorkerAlive",
    "UntxtWebhookFailures",
    "UntxtWebhooksGivenUp",
}
_SUFFIXES = ("_total", "_bucket", "_count", "_sum")
#: Grafana's rate window, which Prometheus alone does not know.
RATE = "$__rate_interval"


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is missing: apt-get install prometheus (make test installs it)")
    return found


def dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]


def rule_queries() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def family(metric: str) -> str:
    for suffix in _SUFFIXES:
        if metric.endswith(suffix):
            return metric[: -len(suffix)]
    return metric


def test_promtool_accepts_the_rules_and_their_tests_pass() -> None:
    checked = subprocess.run(
        [promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(
        [promtool(), "test", "rules", RULES_TEST.name],
        cwd=RULES_TEST.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout + tested.stderr


def test_the_rules_cover_what_operators_are_paged_for() -> None:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    alerts = {rule["alert"] for group in groups for rule in group["rules"]}
    assert alerts == ALERTS
    tested = RULES_TEST.read_text()
    for alert in ALERTS:
        assert f"alertname: {alert}\n" in tested, f"{alert} has no promtool test"


def test_dashboard_and_rules_query_only_exported_metrics(client: TestClient) -> None:
    exported = names(client.get("/metrics").text)
    queries = dashboard_queries() + rule_queries()
    assert queries
    used = {family(m) for query in queries for m in re.findall(r"\buntxt_[a-z_]+\b", query)}
    assert used - exported == set()
    # The dashboard shows each part of the service.
    titles = {panel["title"] for panel in json.loads(DASHBOARD.read_text())["panels"]}
    assert {"Queue", "Throughput", "Latency", "Failures", "Workers"} <= titles


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    """promtool checks each query as the expression of a recording rule."""
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {
                        "record": f"dashboard:query_{n}",
                        "expr": query.replace("$__rate_interval", "5m"),
                    }
                    for n, query in enumerate(dashboard_queries())
                ],
            }
        ]
    }
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump(rules))
    checked = subprocess.run(
        [promtool(), "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_dashboard_is_importable_json() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "untxt"
    assert dashboard["templating"]["list"][0]["type"] == "datasource"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
