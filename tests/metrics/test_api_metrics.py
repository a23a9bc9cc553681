"""GET /metrics on the API, in one process: every metric, the queue read at scrape time,
counts where things happen, routes by template, the token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import text as sql

from tests import samples as images
from tests.api.helpers import assert_problem, submit
from tests.conftest import drain, make_settings
from tests.metrics.helpers import names, value
from tests.queue.helpers import POLICY, make_job, must_claim, reap
from tests.worker.helpers import wait_for
from untxt.app import create_app
from untxt.db import Database
from untxt.db.models import DocumentRow
from untxt.db.types import utcnow
from untxt.engines import EngineRegistry
from untxt.metrics import hooks
from untxt.worker import Worker

#: What docs/metrics.md promises, as a scrape names the families.
REQUIRED = {
    "untxt_jobs_submitted",
    "untxt_jobs_finished",
    "untxt_pages_processed",
    "untxt_page_ocr_seconds",
    "untxt_job_queue_wait_seconds",
    "untxt_job_duration_seconds",
    "untxt_queue_depth",
    "untxt_queue_oldest_age_seconds",
    "untxt_task_retries",
    "untxt_webhook_deliveries",
    "untxt_http_request_duration_seconds",
    "untxt_workers_alive",
    "untxt_build_info",
}


def scrape(client: TestClient) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text


@pytest.fixture
def worker(client: TestClient, engines: EngineRegistry) -> Iterator[Worker]:
    state = client.app.state.untxt  # type: ignore[attr-defined]
    yield Worker(state.settings, db=state.db, storage=state.storage, engines=engines)


def test_every_metric_is_listed_before_anything_happened(client: TestClient) -> None:
    text = scrape(client)
    assert names(text) >= REQUIRED
    # Known label values are there at zero, so that rates exist from the first scrape.
    for outcome in ("completed", "failed", "cancelled"):
        assert f'untxt_jobs_finished_total{{outcome="{outcome}"}} ' in text
    for reason in ("error", "lease_expired"):
        assert f'untxt_task_retries_total{{reason="{reason}"}} ' in text
    assert value(text, "untxt_queue_depth") == 0
    assert value(text, "untxt_queue_oldest_age_seconds") == 0
    assert value(text, "untxt_queue_metrics_up") == 1


def test_a_job_is_counted_from_submit_to_result(client: TestClient, worker: Worker) -> None:
    before = scrape(client)
    response = submit(client, images.png(["METRICS"]))
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]

    queued = scrape(client)
    assert value(queued, "untxt_jobs_submitted_total") == (
        value(before, "untxt_jobs_submitted_total") + 1
    )
    assert value(queued, "untxt_queue_depth", {"status": "queued", "priority": "5"}) == 1
    assert value(queued, "untxt_queue_oldest_age_seconds") > 0

    assert drain(worker) == 1
    after = scrape(client)

    def grew(name: str, labels: dict[str, str] | None = None) -> float:
        return value(after, name, labels) - value(before, name, labels)

    assert grew("untxt_jobs_finished_total", {"outcome": "completed"}) == 1
    assert grew("untxt_jobs_finished_total", {"outcome": "failed"}) == 0
    assert grew("untxt_pages_processed_total") == 1
    engine = client.get(f"/v1/jobs/{job_id}").json()["options"]["engine"]
    assert grew("untxt_pages_processed_total", {"engine": engine}) == 1
    assert grew("untxt_page_ocr_seconds_count", {"engine": engine}) == 1
    assert grew("untxt_page_ocr_seconds_sum", {"engine": engine}) > 0
    assert grew("untxt_job_queue_wait_seconds_count") == 1
    assert grew("untxt_job_duration_seconds_count", {"outcome": "completed"}) == 1
    assert value(after, "untxt_queue_depth") == 0
    # No job, user or key id is ever a label.
    assert job_id not in after
    assert not re.search(r'"(job|doc|key|usr|bat)_[0-9a-f]{8,}', after)


def test_the_queue_is_counted_by_status_and_priority_at_scrape_time(
    client: TestClient, worker: Worker
) -> None:
    for priority in (2, 2, 9):
        response = submit(client, images.png(["Q"]), options={"priority": priority})
        assert response.status_code == 202
    text = scrape(client)
    assert value(text, "untxt_queue_depth", {"status": "queued", "priority": "2"}) == 2
    assert value(text, "untxt_queue_depth", {"status": "queued", "priority": "9"}) == 1
    assert value(text, "untxt_queue_depth", {"status": "processing"}) == 0
    # Every priority of both statuses is listed, at zero when empty.
    assert value(text, "untxt_queue_depth", {"status": "processing", "priority": "10"}) == 0
    assert 'priority="10",status="processing"' in text
    # A job a worker holds is processing; the gauges come from the rows, not from counting.
    state = client.app.state.untxt  # type: ignore[attr-defined]
    lease = worker.claim()
    assert lease is not None
    text = scrape(client)
    assert value(text, "untxt_queue_depth", {"status": "processing", "priority": "9"}) == 1
    assert value(text, "untxt_queue_depth", {"status": "queued"}) == 2
    with state.db.write() as session:
        session.execute(
            sql("UPDATE jobs SET created_at = :t WHERE status = 'queued'"),
            {"t": utcnow() - timedelta(hours=1)},
        )
    assert 3599 < value(scrape(client), "untxt_queue_oldest_age_seconds") < 3700


def test_requests_are_timed_by_route_template_never_by_url(client: TestClient) -> None:
    before = scrape(client)
    for _ in range(3):
        assert client.get("/v1/jobs/job_0123456789abcdef").status_code == 404
    assert client.get("/no/such/page/anywhere").status_code == 404
    text = scrape(client)
    labels = {"method": "GET", "route": "/v1/jobs/{job_id}", "status": "404"}
    assert (
        value(text, "untxt_http_request_duration_seconds_count", labels)
        - value(before, "untxt_http_request_duration_seconds_count", labels)
        == 3
    )
    unmatched = {"route": "unmatched", "status": "404"}
    assert value(text, "untxt_http_request_duration_seconds_count", unmatched) >= 1
    assert "job_0123456789abcdef" not in text and "/no/such/page" not in text


def test_a_cancel_a_retry_and_a_lost_worker_are_counted(client: TestClient, worker: Worker) -> None:
    state = client.app.state.untxt  # type: ignore[attr-defined]
    before = scrape(client)
    job_id = submit(client, images.png(["CANCEL"])).json()["id"]
    assert client.post(f"/v1/jobs/{job_id}/cancel").status_code == 200

    # A worker that stops heartbeating: its task is queued again by the reaper.
    now = utcnow()
    make_job(state.db, now)
    must_claim(state.db, "doomed", now, ttl=1.0)
    assert reap(state.db, now + timedelta(seconds=5), POLICY) == 1

    # A task that fails for a reason that may pass: its blob is gone for now.
    broken = submit(client, images.png(["BROKEN"]), options={"no_cache": True}).json()
    with state.db.read() as session:
        document = session.get(DocumentRow, broken["document_id"])
        assert document is not None
        key = document.blob_key
    blob = state.storage.get(key)
    state.storage.delete(key)
    lease = worker.claim()
    while lease is not None and lease.job_id != broken["id"]:
        lease = worker.claim()
    assert lease is not None
    worker._runner.run(lease)
    state.storage.put(key, blob)

    text = scrape(client)

    def grew(name: str, labels: dict[str, str]) -> float:
        return value(text, name, labels) - value(before, name, labels)

    assert grew("untxt_jobs_finished_total", {"outcome": "cancelled"}) == 1
    assert grew("untxt_job_duration_seconds_count", {"outcome": "cancelled"}) == 1
    assert grew("untxt_task_retries_total", {"reason": "lease_expired"}) == 1
    assert grew("untxt_task_retries_total", {"reason": "error"}) == 1


def test_what_a_rolled_back_transaction_did_is_not_counted(db: Database) -> None:
    before = value(_local(), "untxt_jobs_finished_total", {"outcome": "failed"})
    with pytest.raises(RuntimeError), db.write() as session:
        job = type("Job", (), {"created_at": utcnow()})()
        hooks.job_event(session, "job.failed", job, utcnow())
        hooks.task_retried_on_commit(session, "error")
        raise RuntimeError("rolled back")
    with db.write() as session:
        job = type("Job", (), {"created_at": utcnow()})()
        hooks.job_event(session, "job.failed", job, utcnow())
    assert value(_local(), "untxt_jobs_finished_total", {"outcome": "failed"}) == before + 1


def _local() -> str:
    from untxt.metrics.registry import exposition, scrape_registry

    return exposition(scrape_registry()).decode()


def test_webhook_attempts_are_counted_by_outcome() -> None:
    def count(outcome: str) -> float:
        return value(_local(), "untxt_webhook_deliveries_total", {"outcome": outcome})

    before = {o: count(o) for o in ("delivered", "retry", "failed", "gone")}
    hooks.webhook_attempt(204, retry=False)
    hooks.webhook_attempt(500, retry=True)
    hooks.webhook_attempt(None, retry=True)
    hooks.webhook_attempt(503, retry=False)
    hooks.webhook_attempt(410, retry=False)
    assert {o: count(o) - before[o] for o in before} == {
        "delivered": 1,
        "retry": 2,
        "failed": 1,
        "gone": 1,
    }


def test_the_token_guards_metrics(tmp_path: Path, engines: EngineRegistry) -> None:
    settings = make_settings(tmp_path / "data", metrics_token=SecretStr("s3cret-metrics"))
    with TestClient(create_app(settings, engines=engines)) as client:
        response = client.get("/metrics")
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert (
            client.get("/metrics", headers={"Authorization": "Basic s3cret-metrics"}).status_code
            == 401
        )
        ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
        assert ok.status_code == 200
        assert "untxt_queue_depth" in ok.text
        # The rest of the API is not behind the metrics token.
        assert client.get("/healthz").status_code == 200


def test_real_webhook_deliveries_are_counted(db: Database, tmp_path: Path) -> None:
    """An endpoint that fails once then answers: one retry, one delivery."""
    from tests.events.receiver import Reply, running_receiver
    from tests.events.test_deliverer import _deliverer, _settings, _subscribe

    def count(outcome: str) -> float:
        return value(_local(), "untxt_webhook_deliveries_total", {"outcome": outcome})

    before = {o: count(o) for o in ("delivered", "retry", "failed")}
    with running_receiver() as receiver, _deliverer(_settings(tmp_path, db), db):
        receiver.script = [Reply(503)]
        _subscribe(db, receiver, ["job.queued"])
        make_job(db, utcnow())
        receiver.wait_for(2)
        wait_for(lambda: count("delivered") == before["delivered"] + 1, timeout=10)
    assert count("retry") == before["retry"] + 1
    assert count("failed") == before["failed"]


def test_an_answer_given_before_routing_still_names_its_route(
    tmp_path: Path, engines: EngineRegistry
) -> None:
    settings = make_settings(tmp_path / "data", rate_limit_submit="1/hour")
    with TestClient(create_app(settings, engines=engines)) as client:
        before = scrape(client)
        assert submit(client, images.png(["ONE"])).status_code == 202
        assert submit(client, images.png(["TWO"])).status_code == 429
        text = scrape(client)
    limited = {"method": "POST", "route": "/v1/ocr", "status": "429"}
    assert (
        value(text, "untxt_http_request_duration_seconds_count", limited)
        - value(before, "untxt_http_request_duration_seconds_count", limited)
        == 1
    )
