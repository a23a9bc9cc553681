"""``/v1/jobs``: list, filter, cancel, delete."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem, submit
from tests.conftest import drain, make_settings
from untxt.app import create_app
from untxt.engines import EngineRegistry
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


@pytest.fixture
def api(db_url: str, tmp_path: Path, engines: EngineRegistry) -> Iterator[TestClient]:
    """The API on SQLite and on PostgreSQL."""
    settings = make_settings(tmp_path / "data", database_url=db_url)
    with TestClient(create_app(settings, engines=engines)) as client:
        yield client


def test_a_job_carries_its_documents_file_name(client: TestClient, worker: Worker) -> None:
    submitted = submit(client, samples.png(["NAMED"]), filename="Receipt 7.png").json()
    drain(worker)

    listed = client.get("/v1/jobs").json()["items"]
    one = client.get(f"/v1/jobs/{submitted['id']}").json()

    assert submitted["filename"] == "Receipt 7.png"
    assert [job["filename"] for job in listed] == ["Receipt 7.png"]
    assert one["filename"] == "Receipt 7.png"


def test_queued_jobs_show_how_many_pages_the_queue_hands_out_first(
    api: TestClient, engines: EngineRegistry
) -> None:
    low = submit(api, samples.png(["LOW"]), options={"priority": 1}).json()
    two_pages = samples.pdf([["ONE"], ["TWO"]], dpi=100)
    mid = submit(api, two_pages, filename="two.pdf", options={"priority": 5}).json()
    high = submit(api, samples.png(["HIGH"]), options={"priority": 9}).json()

    listed = {job["id"]: job["queue_position"] for job in api.get("/v1/jobs").json()["items"]}
    state = api.app.state.untxt  # type: ignore[attr-defined]
    worker = Worker(state.settings, db=state.db, storage=state.storage, engines=engines)
    worker.run_once()  # the high-priority job
    after = api.get(f"/v1/jobs/{low['id']}").json()

    # A submit's answer leaves the position out: it would cost every submit a query.
    assert low["queue_position"] is None
    assert listed == {high["id"]: 0, mid["id"]: 1, low["id"]: 3}
    assert after["queue_position"] == 2
    drain(worker)
    assert api.get(f"/v1/jobs/{low['id']}").json()["queue_position"] is None


def test_jobs_list_searches_file_names_in_any_case(client: TestClient) -> None:
    march = submit(client, samples.png(["MARCH"]), filename="Invoice-March.png").json()
    submit(client, samples.png(["OTHER"]), filename="receipt.png")
    april = submit(client, samples.png(["APRIL"]), filename="invoice-april.PNG").json()

    found = client.get("/v1/jobs", params={"q": "INVOICE"}).json()
    queued = client.get("/v1/jobs", params={"q": "march", "status": "queued"}).json()
    everything = client.get("/v1/jobs", params={"q": ""}).json()

    assert [job["id"] for job in found["items"]] == [april["id"], march["id"]]
    assert [job["id"] for job in queued["items"]] == [march["id"]]
    assert len(everything["items"]) == 3
    assert_problem(client.get("/v1/jobs", params={"q": "a\x00b"}), 400)
    assert_problem(client.get("/v1/jobs", params={"q": "x" * 256}), 422)


def test_jobs_list_counts_every_matching_job_only_when_asked(client: TestClient) -> None:
    for i in range(3):
        submit(client, samples.png([f"PAGE {i}"]), filename=f"scan-{i}.png")

    plain = client.get("/v1/jobs", params={"limit": 2}).json()
    counted = client.get("/v1/jobs", params={"limit": 2, "count": "true"}).json()
    searched = client.get("/v1/jobs", params={"q": "scan-1", "count": "true"}).json()
    rest = client.get(
        "/v1/jobs", params={"limit": 2, "count": "true", "cursor": counted["next_cursor"]}
    ).json()

    assert plain["total"] is None
    assert counted["total"] == 3 and len(counted["items"]) == 2
    assert rest["total"] == 3 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert searched["total"] == 1
