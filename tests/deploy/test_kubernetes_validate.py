"""Every rendered object against its schema: Kubernetes' own kinds with
``kubernetes-validate --strict``, KEDA's and the Prometheus Operator's against their CRDs."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.chart import KUBE_VERSIONS, find, gpu_values, render, render_text
from tests.deploy.crds import CRD_MODELS, crd_errors

KUBERNETES_VALIDATE = Path(sys.executable).with_name("kubernetes-validate")
VALUE_SETS = {
    "default": {},
    "gpu": gpu_values(),
    "own-secret-no-keda": {
        "existingSecret": "",
        "secrets": {"databaseUrl": "postgresql://u:p@db/untxt", "secretKey": "k"},
        "worker": {"keda": {"enabled": False}},
        "migrations": {"adminEmail": "ops@example.com"},
        "serviceMonitor": {"metricsToken": True, "labels": {"release": "prometheus"}},
    },
}
_LINE = re.compile(r"^(INFO|WARN|ERROR|FATAL) ")
_SKIPPED = re.compile(r"Couldn't find schema for kind (\S+) with api version (\S+) ")


def kubernetes_validate(path: Path, version: str) -> tuple[int, list[str]]:
    """Run ``kubernetes-validate --strict`` on a file; its exit status and report lines."""
    done = subprocess.run(
        [str(KUBERNETES_VALIDATE), "--strict", "--kubernetes-version", version, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if _LINE.match(line)]
    return done.returncode, lines


@pytest.mark.parametrize("version", KUBE_VERSIONS)
@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_every_rendered_object_is_valid(
    values: dict[str, Any], version: str, tmp_path: Path
) -> None:
    manifest = tmp_path / "untxt.yaml"
    manifest.write_text(render_text(values))
    objects = render(values)
    status, lines = kubernetes_validate(manifest, version)
    assert status == 0, "\n".join(lines)
    assert not [line for line in lines if not line.startswith(("INFO", "WARN"))]
    passed = [line for line in lines if line.startswith("INFO") and " passed " in line]
    # The kinds it has no schema for: each is named, and each is one whose CRD we check.
    skipped = [_SKIPPED.search(line) for line in lines if line.startswith("WARN")]
    assert all(skipped), lines
    skipped_kinds = [(m.group(2), m.group(1)) for m in skipped if m]
    assert set(skipped_kinds) <= set(CRD_MODELS), skipped_kinds
    assert len(passed) + len(skipped_kinds) == len(objects)
    custom = [obj for obj in objects if (obj["apiVersion"], obj["kind"]) in CRD_MODELS]
    assert len(custom) == len(skipped_kinds)
    for obj in custom:
        assert crd_errors(obj) == [], obj["kind"]


def test_kubernetes_validate_fails_an_unknown_field(tmp_path: Path) -> None:
    objects = render()
    for obj in find(objects, "Deployment"):
        obj["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    manifest = tmp_path / "untxt.yaml"
    manifest.write_text(yaml.safe_dump_all(objects))
    status, lines = kubernetes_validate(manifest, KUBE_VERSIONS[-1])
    assert status == 1
    assert sum("'livenesProbe' was unexpected" in line for line in lines) == 2


def _scaled_object() -> dict[str, Any]:
    (obj,) = find(render(), "ScaledObject")
    return copy.deepcopy(obj)


def test_the_crd_check_fails_an_unknown_field() -> None:
    obj = _scaled_object()
    obj["spec"]["triggers"][0]["authRef"] = {"name": "x"}
    assert crd_errors(obj) == ["unknown field .spec.triggers[0].authRef"]


def test_the_crd_check_fails_a_wrong_type_and_a_missing_field() -> None:
    obj = _scaled_object()
    obj["spec"]["maxReplicaCount"] = "20"
    (error,) = crd_errors(obj)
    assert "spec.maxReplicaCount" in error
    del obj["spec"]["triggers"]
    assert "spec.triggers" in crd_errors(obj)[0]
    (monitor,) = find(render(), "ServiceMonitor")
    monitor["spec"]["endpoints"][0]["interval"] = "every 30 seconds"
    assert "interval" in crd_errors(monitor)[0]
