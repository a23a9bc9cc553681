"""deploy/compose.yaml: ``docker-compose config`` accepts it, and it is the stack the docs say."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.chart import ROOT

COMPOSE = ROOT / "deploy" / "compose.yaml"
UNTXT_SERVICES = ("init", "api", "worker", "worker-gpu")


def docker_compose(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Debian's docker-compose on ``path``; it parses and checks, no Docker engine needed."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is missing: `make system-deps` installs it")
    # Only the variables set here: the compose file's defaults must be enough.
    env = {"PATH": os.environ["PATH"], "HOME": str(path.parent)}
    return subprocess.run(
        [binary, "--project-directory", str(path.parent), "-f", str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


@cache
def config() -> dict[str, Any]:
    """The compose file as docker-compose resolves it (every profile's services)."""
    done = docker_compose(COMPOSE, "--profile", "gpu", "config")
    assert done.returncode == 0, done.stderr
    resolved: dict[str, Any] = yaml.safe_load(done.stdout)
    return resolved


def test_docker_compose_accepts_it() -> None:
    assert set(config()["services"]) == {
        "postgres",
        "redis",
        "s3",
        "init",
        "api",
        "worker",
        "worker-gpu",
    }


def test_docker_compose_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text().replace("stop_grace_period:", "stop_grace_periods:", 1))
    done = docker_compose(broken, "config")
    assert done.returncode != 0
    assert "stop_grace_periods" in done.stderr


def test_workers_scale() -> None:
    """Nothing that two copies of a worker could not share: no name, no host port."""
    for name in ("worker", "worker-gpu"):
        worker = config()["services"][name]
        assert "container_name" not in worker and "ports" not in worker
        assert worker["command"][:2] == ["untxt", "worker"]
        # Ten minutes to finish the pages in hand when stopped.
        assert worker["stop_grace_period"] == "10m"
        assert worker["environment"]["HEALTHCHECK_URL"] == "http://127.0.0.1:9464/healthz"


def test_untxt_runs_scaled_out_without_privileges() -> None:
    services = config()["services"]
    for name in UNTXT_SERVICES:
        service = services[name]
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert service["tmpfs"] == ["/tmp"]
        env = service["environment"]
        assert env["UNTXT_DATABASE_URL"].startswith("postgresql://untxt:")
        assert env["UNTXT_DATABASE_URL"].endswith("@postgres:5432/untxt")
        assert env["UNTXT_STORAGE_URL"].startswith("s3://")
        assert env["UNTXT_S3_ENDPOINT_URL"] == "http://s3:8333"
        assert env["UNTXT_REDIS_URL"] == "redis://redis:6379/0"
    assert services["api"]["command"] == ["untxt", "serve", "--workers", "0"]
    assert services["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"] == [
        {"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}
    ]


def test_nothing_starts_before_the_bucket_and_the_schema_are_ready() -> None:
    services = config()["services"]
    assert services["init"]["command"] == [
        "python",
        "/usr/local/lib/untxt/bootstrap.py",
        "--create-bucket",
    ]
    assert services["init"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name in ("api", "worker", "worker-gpu"):
        assert services[name]["depends_on"]["init"] == {
            "condition": "service_completed_successfully"
        }
    # The API listens on this host's loopback only, unless UNTXT_PUBLISH says otherwise.
    (port,) = services["api"]["ports"]
    assert port.startswith("127.0.0.1:8000:8000")
