"""The Helm chart: helm lint, and the objects it renders for the default and GPU values."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest

from tests.deploy.chart import (
    CHART,
    KUBE_VERSIONS,
    find,
    gpu_values,
    lint,
    one,
    pod_spec,
    render,
)

API = "ocr-untxt-api"
WORKER = "ocr-untxt-worker"
VALUE_SETS = {"default": {}, "gpu": gpu_values()}


def _problems(report: dict[str, Any]) -> list[Any]:
    """Lint's errors and its messages of warning level or worse (info is advice)."""
    errors: list[Any] = report["errors"]
    return errors + [m for m in report["messages"] if m["severity"] >= 2]


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_lint_is_clean(values: dict[str, Any], kube_version: str) -> None:
    report = lint(values, kube_version)
    assert report["total_charts_linted"] == 1
    assert _problems(report) == []


def test_lint_reports_a_broken_template(tmp_path: Path) -> None:
    broken = tmp_path / "untxt"
    shutil.copytree(CHART, broken)
    service = broken / "templates" / "api-service.yaml"
    service.write_text(service.read_text().replace("{{ .Values.api.service.type }}", "{{ .Nope"))
    report = helm.lint(broken, strict=True)
    assert _problems(report), report


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_the_api_is_scaled_by_an_hpa_and_the_workers_by_keda_only(values: dict[str, Any]) -> None:
    objects = render(values)
    hpas = find(objects, "HorizontalPodAutoscaler")
    assert [hpa["spec"]["scaleTargetRef"]["name"] for hpa in hpas] == [API]
    # KEDA owns the worker Deployment's HPA: a second one would fight it.
    (scaled,) = find(objects, "ScaledObject")
    assert scaled["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": WORKER,
    }
    # Replicas left to the autoscalers, or each rollout would reset them.
    assert "replicas" not in one(objects, "Deployment", API)["spec"]
    assert "replicas" not in one(objects, "Deployment", WORKER)["spec"]


def test_keda_reads_the_queue_with_the_pods_database_url() -> None:
    objects = render()
    (trigger,) = one(objects, "ScaledObject", WORKER)["spec"]["triggers"]
    assert trigger["type"] == "postgresql"
    assert "FROM tasks" in trigger["metadata"]["query"]
    # One pod takes as many tasks at once as it runs OCR processes.
    concurrency = pod_spec(one(objects, "Deployment", WORKER))["containers"][0]["command"][3]
    assert trigger["metadata"]["targetQueryValue"] == concurrency == "2"
    auth = one(objects, "TriggerAuthentication", trigger["authenticationRef"]["name"])
    assert auth["spec"]["secretTargetRef"] == [
        {"parameter": "connection", "name": "untxt-secrets", "key": "database-url"}
    ]


def test_without_keda_the_workers_have_a_fixed_count_and_still_no_hpa() -> None:
    objects = render({"worker": {"keda": {"enabled": False}, "replicas": 3}})
    assert find(objects, "ScaledObject") == []
    assert one(objects, "Deployment", WORKER)["spec"]["replicas"] == 3
    hpas = find(objects, "HorizontalPodAutoscaler")
    assert [hpa["spec"]["scaleTargetRef"]["name"] for hpa in hpas] == [API]


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_both_deployments_have_a_disruption_budget(values: dict[str, Any]) -> None:
    objects = render(values)
    for name in (API, WORKER):
        selector = one(objects, "Deployment", name)["spec"]["selector"]
        assert one(objects, "PodDisruptionBudget", name)["spec"]["selector"] == selector


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_every_pod_runs_as_non_root_on_a_read_only_root(values: dict[str, Any]) -> None:
    objects = render(values)
    workloads = find(objects, "Deployment") + find(objects, "Job")
    assert len(workloads) == 3
    for obj in workloads:
        spec = pod_spec(obj)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] != 0
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            # The one writable place.
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]


def test_the_api_probes_health_and_readiness() -> None:
    (container,) = pod_spec(one(render(), "Deployment", API))["containers"]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["command"] == ["untxt", "serve", "--workers", "0"]
    assert {"name": "http", "containerPort": 8000, "protocol": "TCP"} in container["ports"]


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_workers_probe_their_metrics_port_and_have_a_long_grace(values: dict[str, Any]) -> None:
    spec = pod_spec(one(render(values), "Deployment", WORKER))
    (container,) = spec["containers"]
    assert container["command"][:2] == ["untxt", "worker"]
    assert container["command"][-2:] == ["--metrics-port", "9464"]
    assert {"name": "metrics", "containerPort": 9464, "protocol": "TCP"} in container["ports"]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    # Longer than a page may run (UNTXT_JOB_TIMEOUT, 600 s), so SIGTERM loses no work.
    assert spec["terminationGracePeriodSeconds"] > 600


def test_the_migration_job_runs_before_install_and_upgrade() -> None:
    job = one(render({"migrations": {"adminEmail": "ops@example.com"}}), "Job", "ocr-untxt-migrate")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    spec = pod_spec(job)
    assert spec["restartPolicy"] == "Never"
    (container,) = spec["containers"]
    assert container["command"][:2] == ["python", "/usr/local/lib/untxt/bootstrap.py"]
    assert {"name": "UNTXT_ADMIN_EMAIL", "value": "ops@example.com"} in container["env"]
    assert find(render({"migrations": {"enabled": False}}), "Job") == []


def test_the_service_monitor_scrapes_the_api_and_the_workers() -> None:
    objects = render({"serviceMonitor": {"labels": {"release": "prometheus"}}})
    (monitor,) = find(objects, "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    selected = monitor["spec"]["selector"]["matchLabels"]
    services = [
        s for s in find(objects, "Service") if selected.items() <= s["metadata"]["labels"].items()
    ]
    ports = {p["name"] for s in services for p in s["spec"]["ports"]}
    endpoints = {(e["port"], e["path"]) for e in monitor["spec"]["endpoints"]}
    assert endpoints == {("http", "/metrics"), ("metrics", "/metrics")}
    assert {port for port, _ in endpoints} <= ports
    assert find(render({"serviceMonitor": {"enabled": False}}), "ServiceMonitor") == []


def test_the_service_monitor_can_send_the_metrics_token() -> None:
    objects = render({"serviceMonitor": {"metricsToken": True}})
    (monitor,) = find(objects, "ServiceMonitor")
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint["authorization"] == {
            "type": "Bearer",
            "credentials": {"name": "untxt-secrets", "key": "metrics-token"},
        }
    # The pods require the same token.
    (api,) = pod_spec(one(objects, "Deployment", API))["containers"]
    token = next(env for env in api["env"] if env["name"] == "UNTXT_METRICS_TOKEN")
    assert token["valueFrom"]["secretKeyRef"]["key"] == "metrics-token"
    (monitor,) = find(render(), "ServiceMonitor")
    assert all("authorization" not in endpoint for endpoint in monitor["spec"]["endpoints"])


def _secret_refs(objects: list[dict[str, Any]]) -> set[str]:
    """The Secrets that the pods' environment reads."""
    return {
        env["valueFrom"]["secretKeyRef"]["name"]
        for obj in find(objects, "Deployment") + find(objects, "Job")
        for container in pod_spec(obj)["containers"]
        for env in container["env"]
        if "valueFrom" in env
    }


def test_an_existing_secret_is_read_and_none_is_made() -> None:
    objects = render({"existingSecret": "prod-untxt"})
    assert find(objects, "Secret") == []
    assert _secret_refs(objects) == {"prod-untxt"}
    auth = find(objects, "TriggerAuthentication")[0]
    assert auth["spec"]["secretTargetRef"][0]["name"] == "prod-untxt"


def test_without_an_existing_secret_the_chart_keeps_the_values_in_one() -> None:
    url = "postgresql://untxt:pw@db:5432/untxt"
    objects = render({"existingSecret": "", "secrets": {"databaseUrl": url, "redisUrl": ""}})
    secret = one(objects, "Secret", "ocr-untxt-secrets")
    # Only what was given: an absent key leaves the setting at untxt's default.
    assert secret["stringData"] == {"database-url": url}
    # Made before the migration Job, which reads it.
    assert secret["metadata"]["annotations"]["helm.sh/hook-weight"] == "-10"
    assert _secret_refs(objects) == {"ocr-untxt-secrets"}
    # The pods restart when the Secret changes.
    for name in (API, WORKER):
        template = one(objects, "Deployment", name)["spec"]["template"]
        assert "checksum/secrets" in template["metadata"]["annotations"]


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ({}, "set existingSecret, or secrets.databaseUrl"),
        ({"databaseUrl": "postgresql+psycopg://u@db/untxt"}, "plain postgresql:// URL"),
        ({"databaseUrl": "sqlite:///untxt.db"}, "plain postgresql:// URL"),
    ],
)
def test_a_missing_or_unusable_database_url_stops_the_render(
    secrets: dict[str, str], message: str
) -> None:
    with pytest.raises(helm.HelmError, match=message):
        render({"existingSecret": "", "secrets": secrets})


def test_gpu_workers_get_the_cuda_image_and_a_gpu_on_a_gpu_node() -> None:
    objects = render(gpu_values())
    spec = pod_spec(one(objects, "Deployment", WORKER))
    (container,) = spec["containers"]
    assert container["image"] == "untxt:0.1.0-cuda"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert {"name": "UNTXT_ENGINE_DEVICE", "value": "cuda"} in container["env"]
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec[
        "tolerations"
    ]
    # The API and the migration Job stay on the CPU image.
    (api,) = pod_spec(one(objects, "Deployment", API))["containers"]
    assert api["image"] == "untxt:0.1.0"
    assert "nvidia.com/gpu" not in api["resources"].get("limits", {})
