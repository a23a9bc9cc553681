"""``/v1/jobs``: list, filter, cancel, delete."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem, submit
from tests.conftest import drain
from untxt.worker import Worker


def test_jobs_list_filters_by_status(client: TestClient, worker: Worker) -> None:
    done = submit(client, samples.png(["DONE"])).json()
    drain(worker)
    waiting = submit(client, samples.png(["WAITING"])).json()

    queued = client.get("/v1/jobs", params={"status": "queued"}).json()["items"]
    completed = client.get("/v1/jobs", params={"status": "completed"}).json()["items"]

    assert [j["id"] for j in queued] == [waiting["id"]]
    assert [j["id"] for j in completed] == [done["id"]]
    assert_problem(client.get("/v1/jobs", params={"status": "sleeping"}), 422)


def test_jobs_list_pages_with_a_cursor(client: TestClient) -> None:
    ids = [submit(client, samples.png([f"JOB {i}"])).json()["id"] for i in range(3)]

    first = client.get("/v1/jobs", params={"limit": 2}).json()
    second = client.get("/v1/jobs", params={"limit": 2, "cursor": first["next_cursor"]}).json()

    assert [j["id"] for j in first["items"] + second["items"]] == list(reversed(ids))
    assert second["next_cursor"] is None


def test_cancel_queued_job_is_immediate_and_nothing_runs(
    client: TestClient, worker: Worker
) -> None:
    job = submit(client, samples.png(["NEVER"])).json()

    cancelled = client.post(f"/v1/jobs/{job['id']}/cancel")

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["finished_at"] is not None
    assert drain(worker) == 0
    assert client.post(f"/v1/jobs/{job['id']}/cancel").json()["status"] == "cancelled"


def test_cancel_processing_job_stops_between_pages(client: TestClient, worker: Worker) -> None:
    job = submit(client, samples.pdf([["ONE"], ["TWO"], ["THREE"]], dpi=100)).json()
    worker.run_once()
    lease = worker.claim()  # page 2 is in progress
    assert lease is not None

    response = client.post(f"/v1/jobs/{job['id']}/cancel").json()
    assert response["status"] == "processing"  # the page in hand finishes first

    from untxt.worker.runner import TaskRunner

    state = client.app.state.untxt  # type: ignore[attr-defined]
    TaskRunner(state.settings, state.db, state.storage, state.engines).run(lease)
    final = client.get(f"/v1/jobs/{job['id']}").json()
    assert final["status"] == "cancelled"
    assert final["pages_done"] == 2
    assert drain(worker) == 0  # page 3 never runs


def test_cancel_completed_job_is_a_conflict(client: TestClient, worker: Worker) -> None:
    job = submit(client, samples.png(["FINISHED"])).json()
    drain(worker)

    assert_problem(client.post(f"/v1/jobs/{job['id']}/cancel"), 409, "conflict")


def test_delete_active_job_is_a_conflict(client: TestClient) -> None:
    job = submit(client, samples.png(["ACTIVE"])).json()

    assert_problem(client.delete(f"/v1/jobs/{job['id']}"), 409, "conflict")
    assert client.get(f"/v1/jobs/{job['id']}").status_code == 200


def test_delete_finished_job_removes_it_and_its_results(client: TestClient, worker: Worker) -> None:
    job = submit(client, samples.png(["GONE"])).json()
    drain(worker)
    storage = client.app.state.untxt.storage  # type: ignore[attr-defined]
    result_keys = [p.relative_to(storage.root).as_posix() for p in storage.root.rglob("jobs/*/*")]
    assert result_keys

    assert client.delete(f"/v1/jobs/{job['id']}").status_code == 204

    assert_problem(client.get(f"/v1/jobs/{job['id']}"), 404)
    assert not any(storage.exists(key) for key in result_keys)
    assert client.get(f"/v1/documents/{job['document_id']}").status_code == 200
