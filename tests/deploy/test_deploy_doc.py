"""docs/deploy.md stays in step with the chart and the compose file it describes."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.deploy.chart import CHART, ROOT, find, render

DOC = (ROOT / "docs" / "deploy.md").read_text()
VALUES: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())


def _section(title: str) -> str:
    return DOC.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_every_value_the_doc_names_is_a_value_of_the_chart() -> None:
    table = _section("Kubernetes: the Helm chart")
    names = [
        name
        for cell in re.findall(r"^\| (`[^|]+`) \|", table, re.MULTILINE)
        for name in re.findall(r"`([a-zA-Z.*]+)`", cell)
    ]
    assert len(names) > 10
    for name in names:
        node: Any = VALUES
        for part in name.removesuffix(".*").split("."):
            assert isinstance(node, dict) and part in node, name
            node = node[part]


def test_the_doc_shows_the_query_keda_runs() -> None:
    (shown,) = re.findall(r"```sql\n(.*?)```", DOC, re.DOTALL)
    (scaled,) = find(render(), "ScaledObject")
    query = scaled["spec"]["triggers"][0]["metadata"]["query"]
    assert " ".join(shown.split()) == " ".join(query.split())


def test_every_compose_variable_the_doc_names_is_used_by_the_compose_file() -> None:
    compose = (ROOT / "deploy" / "compose.yaml").read_text()
    table = _section("Docker Compose")
    names = re.findall(r"`([A-Z][A-Z0-9_]+)`", "\n".join(re.findall(r"^\| .*? \|", table, re.M)))
    assert len(names) >= 8
    for name in names:
        assert f"${{{name}:-" in compose, name
