"""``/v1/api-keys``: create (shown once), list (no secrets), revoke, expiry, last use."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.api.helpers import assert_problem
from tests.auth_helpers import bearer
from untxt.db.models import ApiKeyRow
from untxt.db.types import utcnow


def _state(client: TestClient):  # type: ignore[no-untyped-def]
    return client.app.state.untxt  # type: ignore[attr-defined]


def test_a_new_key_is_shown_once_and_stored_only_as_a_hash(
    client: TestClient, user_key: str
) -> None:
    response = client.post("/v1/api-keys", json={"name": "laptop"}, headers=bearer(user_key))

    assert response.status_code == 201, response.text
    created = response.json()
    raw = created["key"]
    assert raw.startswith(f"untxt_{created['prefix']}_")
    assert created["name"] == "laptop"
    with _state(client).db.read() as session:
        row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.id == created["id"]))
    assert row is not None
    assert row.secret_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (row.prefix, row.secret_hash, row.name)
    listed = client.get("/v1/api-keys", headers=bearer(user_key)).json()["items"]
    assert created["id"] in {item["id"] for item in listed}
    assert all("key" not in item for item in listed)
    # The new key works on its own.
    me = client.get("/v1/auth/me", headers=bearer(raw)).json()
    assert me["email"] == "user@example.com"


def test_a_revoked_key_is_refused_at_once(client: TestClient, user_key: str) -> None:
    created = client.post("/v1/api-keys", json={}, headers=bearer(user_key)).json()
    assert client.get("/v1/jobs", headers=bearer(created["key"])).status_code == 200

    response = client.delete(f"/v1/api-keys/{created['id']}", headers=bearer(user_key))

    assert response.status_code == 204
    refused = client.get("/v1/jobs", headers=bearer(created["key"]))
    assert_problem(refused, 401, "unauthenticated")
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    listed = client.get("/v1/api-keys", headers=bearer(user_key)).json()["items"]
    assert next(i for i in listed if i["id"] == created["id"])["revoked_at"] is not None


def test_an_expired_key_is_refused(client: TestClient, user_key: str) -> None:
    soon = (utcnow() + timedelta(hours=1)).isoformat()
    created = client.post("/v1/api-keys", json={"expires_at": soon}, headers=bearer(user_key))
    assert created.status_code == 201, created.text
    key = created.json()
    assert client.get("/v1/jobs", headers=bearer(key["key"])).status_code == 200
    with _state(client).db.write() as session:
        session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.id == key["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )

    assert_problem(client.get("/v1/jobs", headers=bearer(key["key"])), 401, "unauthenticated")


def test_a_key_cannot_be_created_already_expired(client: TestClient, user_key: str) -> None:
    past = (utcnow() - timedelta(minutes=1)).isoformat()

    response = client.post("/v1/api-keys", json={"expires_at": past}, headers=bearer(user_key))

    assert_problem(response, 422, "invalid-account")


def test_last_use_is_recorded_at_most_once_a_minute(client: TestClient, user_key: str) -> None:
    key_id = client.get("/v1/api-keys", headers=bearer(user_key)).json()["items"][0]["id"]

    def last_used():  # type: ignore[no-untyped-def]
        with _state(client).db.read() as session:
            return session.scalar(select(ApiKeyRow.last_used_at).where(ApiKeyRow.id == key_id))

    client.get("/v1/jobs", headers=bearer(user_key))
    first = last_used()
    assert first is not None
    client.get("/v1/jobs", headers=bearer(user_key))
    assert last_used() == first  # within the minute: no write
    with _state(client).db.write() as session:
        session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.id == key_id)
            .values(last_used_at=first - timedelta(minutes=2))
        )
    client.get("/v1/jobs", headers=bearer(user_key))
    assert last_used() >= first  # stale by two minutes: written again


def test_a_user_cannot_see_or_revoke_another_users_key(
    client: TestClient, admin_key: str, user_key: str
) -> None:
    admin_keys = client.get("/v1/api-keys", headers=bearer(admin_key)).json()["items"]
    user_keys = client.get("/v1/api-keys", headers=bearer(user_key)).json()["items"]
    assert not {k["id"] for k in admin_keys} & {k["id"] for k in user_keys}

    response = client.delete(f"/v1/api-keys/{admin_keys[0]['id']}", headers=bearer(user_key))

    assert_problem(response, 404, "not-found")
    assert client.get("/v1/jobs", headers=bearer(admin_key)).status_code == 200
    forbidden = client.get("/v1/api-keys?all=true", headers=bearer(user_key))
    assert_problem(forbidden, 403, "forbidden")


def test_an_admin_can_list_and_revoke_anyones_key(
    client: TestClient, admin_key: str, user_key: str
) -> None:
    everyone = client.get("/v1/api-keys?all=true", headers=bearer(admin_key)).json()["items"]
    user_id = client.get("/v1/auth/me", headers=bearer(user_key)).json()["user_id"]
    theirs = next(k for k in everyone if k["user_id"] == user_id)

    response = client.delete(f"/v1/api-keys/{theirs['id']}", headers=bearer(admin_key))

    assert response.status_code == 204
    assert_problem(client.get("/v1/jobs", headers=bearer(user_key)), 401, "unauthenticated")


def test_keys_belong_to_users_so_single_user_mode_has_none(client: TestClient) -> None:
    assert_problem(client.post("/v1/api-keys", json={"name": "x"}), 409, "conflict")
    assert client.get("/v1/api-keys").json() == {"items": [], "next_cursor": None}


def test_the_key_list_is_cursor_paginated(client: TestClient, user_key: str) -> None:
    for n in range(4):
        client.post("/v1/api-keys", json={"name": f"k{n}"}, headers=bearer(user_key))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/api-keys", params=params, headers=bearer(user_key)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 == len(set(seen))
    assert seen == sorted(seen, reverse=True)
