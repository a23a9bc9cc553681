"""The Helm chart, linted and rendered offline through Helm's own Go code (helm-python-sdk)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "untxt"
GPU_VALUES_FILE = ROOT / "deploy" / "helm" / "values-gpu.yaml"
#: The oldest Kubernetes the chart declares (Chart.yaml kubeVersion) and the newest
#: kubernetes-validate knows: the rendered objects must hold for both.
KUBE_VERSIONS = ("1.27.0", "1.37.0")
RELEASE = "ocr"
NAMESPACE = "untxt"


def gpu_values() -> dict[str, Any]:
    """The GPU-worker values file, as ``helm -f`` reads it."""
    values: dict[str, Any] = yaml.safe_load(GPU_VALUES_FILE.read_text())
    return values


@cache
def _render(values_json: str) -> str:
    with helm.Chart.load(CHART) as chart:
        manifests = chart.render(
            json.loads(values_json), name=RELEASE, namespace=NAMESPACE, is_install=True
        )
    return "\n---\n".join(manifests[name] for name in sorted(manifests) if name.endswith(".yaml"))


def render_text(values: dict[str, Any] | None = None) -> str:
    """The chart's manifests for ``values`` (over the defaults), as one YAML stream."""
    return _render(json.dumps(values or {}, sort_keys=True))


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The chart's objects for ``values`` (over the defaults)."""
    return [doc for doc in yaml.safe_load_all(render_text(values)) if doc]


def lint(values: dict[str, Any] | None, kube_version: str) -> dict[str, Any]:
    """``helm lint --strict`` of the chart with ``values``, for a Kubernetes version."""
    return helm.lint(CHART, values, strict=True, kube_version=f"v{kube_version}")


def find(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    """The objects of ``kind`` (and ``name``, when given)."""
    return [
        obj
        for obj in objects
        if obj["kind"] == kind and (name is None or obj["metadata"]["name"] == name)
    ]


def one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    """The one object of ``kind`` named ``name``."""
    found = find(objects, kind, name)
    assert len(found) == 1, f"{kind}/{name}: {len(found)} rendered"
    return found[0]


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    """The pod template's spec of a Deployment or Job."""
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec
