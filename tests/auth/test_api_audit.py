"""``/v1/audit``: logins, keys, users and deletions, readable by admins only."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem
from tests.auth.conftest import USER_EMAIL, USER_PASSWORD
from tests.auth_helpers import bearer


def _events(client: TestClient, key: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/audit", params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_users_may_not_read_the_audit_log(client: TestClient, user_key: str) -> None:
    assert_problem(client.get("/v1/audit", headers=bearer(user_key)), 403, "forbidden")


def test_logins_are_logged_with_who_and_from_where(client: TestClient, admin_key: str) -> None:
    client.post("/v1/users", json={"email": USER_EMAIL, "password": USER_PASSWORD},
                headers=bearer(admin_key))  # fmt: skip
    client.post("/v1/auth/login", json={"email": USER_EMAIL, "password": USER_PASSWORD})
    client.post("/v1/auth/login", json={"email": USER_EMAIL, "password": "not it at all"})
    client.post("/v1/auth/login", json={"email": "ghost@example.com", "password": "whatever1"})

    events = _events(client, admin_key)

    actions = [e["action"] for e in events]
    assert actions[:4] == ["auth.login_failed", "auth.login_failed", "auth.login", "user.create"]
    ghost, failed, success, created = events[:4]
    assert ghost["actor"] is None and ghost["actor_email"] == "ghost@example.com"
    assert failed["actor"] == success["actor"] == created["target"]
    assert success["actor_email"] == USER_EMAIL
    assert all(e["ip"] == "testclient" for e in events[:4])
    assert created["detail"] == {"email": USER_EMAIL, "role": "user"}


def test_key_creation_and_revocation_are_logged(
    client: TestClient, admin_key: str, user_key: str
) -> None:
    created = client.post("/v1/api-keys", json={"name": "ci"}, headers=bearer(user_key)).json()
    client.delete(f"/v1/api-keys/{created['id']}", headers=bearer(user_key))
    user_id = client.get("/v1/auth/me", headers=bearer(user_key)).json()["user_id"]

    revoke, create = _events(client, admin_key, actor=user_id)[:2]

    assert (create["action"], create["target"]) == ("api_key.create", created["id"])
    assert create["detail"] == {"name": "ci", "prefix": created["prefix"]}
    assert (revoke["action"], revoke["target"]) == ("api_key.revoke", created["id"])
    assert created["key"] not in str(create)


def test_deletions_are_logged(client: TestClient, admin_key: str) -> None:
    document = client.post(
        "/v1/documents", files={"file": ("a.png", samples.png(["GONE"]))}, headers=bearer(admin_key)
    ).json()
    job = client.post("/v1/jobs", json={"document_id": document["id"]},
                      headers=bearer(admin_key)).json()  # fmt: skip
    client.post(f"/v1/jobs/{job['id']}/cancel", headers=bearer(admin_key))
    assert client.delete(f"/v1/jobs/{job['id']}", headers=bearer(admin_key)).status_code == 204
    assert client.delete(f"/v1/documents/{document['id']}",
                         headers=bearer(admin_key)).status_code == 204  # fmt: skip

    events = _events(client, admin_key)

    assert [(e["action"], e["target"]) for e in events[:2]] == [
        ("document.delete", document["id"]),
        ("job.delete", job["id"]),
    ]


def test_the_log_is_cursor_paginated_and_filterable(client: TestClient, admin_key: str) -> None:
    for n in range(5):
        client.post("/v1/auth/login", json={"email": f"x{n}@example.com", "password": "nopenope"})
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "action": "auth.login_failed"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/audit", params=params, headers=bearer(admin_key)).json()
        seen += [e["actor_email"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"x{n}@example.com" for n in reversed(range(5))]
    assert_problem(client.get("/v1/audit?cursor=abc", headers=bearer(admin_key)), 422)
