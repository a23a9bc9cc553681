"""Admin views: queue statistics and every owner's jobs and documents."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem
from tests.auth_helpers import bearer, make_user_key


def _submit(client: TestClient, key: str | None, text: str) -> dict[str, str]:
    response = client.post(
        "/v1/ocr",
        files={"file": ("a.png", samples.png([text]))},
        headers=bearer(key) if key else None,
    )
    assert response.status_code == 202, response.text
    job: dict[str, str] = response.json()
    return job


def test_stats_count_every_owners_jobs(client: TestClient, admin_key: str, user_key: str) -> None:
    _submit(client, user_key, "USER ONE")
    second = _submit(client, user_key, "USER TWO")
    _submit(client, admin_key, "ADMIN ONE")
    client.post(f"/v1/jobs/{second['id']}/cancel", headers=bearer(user_key))

    stats = client.get("/v1/admin/stats", headers=bearer(admin_key)).json()

    assert stats["jobs"] == {
        "queued": 2,
        "processing": 0,
        "completed": 0,
        "failed": 0,
        "cancelled": 1,
    }
    assert stats["tasks"]["queued"] == 2
    assert stats["documents"] == 3
    assert stats["queue_age_seconds"] >= 0
    assert stats["expired_leases"] == 0
    assert stats["users"] == {"admin": 1, "user": 1}
    assert stats["api_keys"] == 2


def test_stats_are_for_admins_only(client: TestClient, user_key: str) -> None:
    assert_problem(client.get("/v1/admin/stats", headers=bearer(user_key)), 403, "forbidden")


def test_an_admin_lists_every_owners_jobs_and_documents(
    client: TestClient, admin_key: str, user_key: str
) -> None:
    theirs = _submit(client, user_key, "THEIRS")
    mine = _submit(client, admin_key, "MINE")

    own = client.get("/v1/jobs", headers=bearer(admin_key)).json()["items"]
    every = client.get("/v1/jobs?all=true", headers=bearer(admin_key)).json()["items"]
    documents = client.get("/v1/documents?all=true", headers=bearer(admin_key)).json()["items"]

    assert [j["id"] for j in own] == [mine["id"]]
    assert [j["id"] for j in every] == [mine["id"], theirs["id"]]
    assert {d["id"] for d in documents} == {mine["document_id"], theirs["document_id"]}


def test_users_may_not_list_everyones_items(client: TestClient, user_key: str) -> None:
    assert_problem(client.get("/v1/jobs?all=true", headers=bearer(user_key)), 403, "forbidden")
    assert_problem(client.get("/v1/documents?all=true", headers=bearer(user_key)), 403, "forbidden")


def test_documents_of_single_user_mode_stay_local_and_admins_see_them(
    client: TestClient,
) -> None:
    """What was uploaded before the first user keeps the ``local`` owner."""
    before = _submit(client, None, "BEFORE USERS")  # single-user mode
    admin = make_user_key(client, "boss@example.com", admin=True)
    user = make_user_key(client, "staff@example.com")

    assert client.get("/v1/jobs", headers=bearer(user)).json()["items"] == []
    assert client.get("/v1/jobs", headers=bearer(admin)).json()["items"] == []
    every = client.get("/v1/jobs?all=true", headers=bearer(admin)).json()["items"]
    assert [j["id"] for j in every] == [before["id"]]
    assert_problem(client.get(f"/v1/jobs/{before['id']}", headers=bearer(user)), 404)
