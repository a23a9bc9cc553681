"""A real Prometheus scrapes a real ``untxt serve``: the queue's depth read back through
Prometheus's HTTP API, the dashboard's queries answered, the alert rules loaded."""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests import samples as images
from tests.conftest import make_settings
from tests.metrics.helpers import free_port
from tests.metrics.test_rules import RATE, RULES, dashboard_queries
from tests.worker.helpers import output, start, wait_for

TOKEN = "prometheus-scrapes-with-this"


@contextmanager
def prometheus(tmp_path: Path, target: str) -> Iterator[str]:
    """A Prometheus server on a free loopback port scraping ``target`` every second,
    with the alert rules loaded; yields its base URL, stops it afterwards."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is missing: apt-get install prometheus (make test installs it)")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {
                "job_name": "untxt",
                "authorization": {"credentials": TOKEN},
                "static_configs": [{"targets": [target]}],
            }
        ],
    }
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "prometheus.log").open("wb")
    server = subprocess.Popen(
        [
            binary,
            f"--config.file={path}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: _ok(f"{base}/-/ready"), timeout=20, interval=0.1)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def query(base: str, expr: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{base}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert answer["status"] == "success", (expr, answer)
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


def scalar(base: str, expr: str) -> float | None:
    result = query(base, expr)
    return float(result[0]["value"][1]) if result else None


def test_prometheus_scrapes_untxt_serve_and_reads_the_queue(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    # API only: what is submitted stays queued.
    serve = start(
        ["serve", "--port", str(port), "--workers", "0"],
        settings,
        UNTXT_API_PROCESSES="1",
        UNTXT_METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prom"),
    )
    try:
        wait_for(lambda: _ok(f"{api}/readyz"), timeout=30, interval=0.1)
        with httpx.Client(base_url=api, timeout=30) as client:
            for n, priority in enumerate((5, 5, 8)):
                response = client.post(
                    "/v1/ocr",
                    files={"file": (f"{n}.png", images.png([f"QUEUED {n}"]))},
                    data={"options": f'{{"priority": {priority}}}'},
                )
                assert response.status_code == 202, response.text
            assert client.get("/metrics").status_code == 401
        with prometheus(tmp_path, f"127.0.0.1:{port}") as base:
            queued = 'sum(untxt_queue_depth{status="queued"})'
            wait_for(lambda: scalar(base, queued) == 3, timeout=15, interval=0.2)
            assert scalar(base, 'untxt_queue_depth{status="queued",priority="8"}') == 1
            assert scalar(base, 'untxt_queue_depth{status="processing"}') == 0
            assert scalar(base, 'up{job="untxt"}') == 1
            assert scalar(base, "untxt_jobs_submitted_total") == 3
            assert (scalar(base, "untxt_queue_oldest_age_seconds") or 0) > 0
            # Every dashboard query is one Prometheus answers.
            for expr in dashboard_queries():
                query(base, expr.replace(RATE, "1m"))

            # The alert rules load and evaluate; with no worker, one is on its way.
            def evaluated() -> bool:
                rules = httpx.get(f"{base}/api/v1/rules", timeout=10).json()["data"]["groups"]
                healths = [rule["health"] for group in rules for rule in group["rules"]]
                return len(healths) == 6 and set(healths) == {"ok"}

            wait_for(evaluated, timeout=10, interval=0.2)

            def no_worker_alert() -> bool:
                alerts = httpx.get(f"{base}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
                return any(a["labels"]["alertname"] == "UntxtNoWorkerAlive" for a in alerts)

            wait_for(no_worker_alert, timeout=10, interval=0.2)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
    assert serve.returncode == 0, output(serve)
