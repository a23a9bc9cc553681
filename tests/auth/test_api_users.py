"""``/v1/users``: admins create and list accounts; users may not."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.helpers import assert_problem
from tests.auth_helpers import bearer


def test_an_admin_creates_a_user_who_can_then_log_in(client: TestClient, admin_key: str) -> None:
    response = client.post(
        "/v1/users",
        json={"email": "New@Example.com", "password": "a long password"},
        headers=bearer(admin_key),
    )

    assert response.status_code == 201, response.text
    user = response.json()
    assert user["email"] == "new@example.com"
    assert user["role"] == "user" and user["has_password"] is True
    assert client.get(response.headers["location"], headers=bearer(admin_key)).json() == user
    login = client.post(
        "/v1/auth/login", json={"email": "new@example.com", "password": "a long password"}
    )
    assert login.status_code == 200


def test_a_taken_address_is_a_conflict(client: TestClient, admin_key: str) -> None:
    response = client.post(
        "/v1/users", json={"email": "ADMIN@example.com"}, headers=bearer(admin_key)
    )

    assert_problem(response, 409, "conflict")


def test_bad_account_details_are_refused(client: TestClient, admin_key: str) -> None:
    bad_email = client.post("/v1/users", json={"email": "no-at-sign"}, headers=bearer(admin_key))
    short = client.post(
        "/v1/users", json={"email": "a@example.com", "password": "short"}, headers=bearer(admin_key)
    )
    role = client.post(
        "/v1/users", json={"email": "b@example.com", "role": "root"}, headers=bearer(admin_key)
    )

    assert_problem(bad_email, 422, "invalid-account")
    assert_problem(short, 422, "invalid-account")
    assert_problem(role, 422)


def test_only_admins_manage_users(client: TestClient, user_key: str) -> None:
    create = client.post("/v1/users", json={"email": "x@example.com"}, headers=bearer(user_key))
    listing = client.get("/v1/users", headers=bearer(user_key))

    assert_problem(create, 403, "forbidden")
    assert_problem(listing, 403, "forbidden")


def test_an_admin_lists_every_user(client: TestClient, admin_key: str, user_key: str) -> None:
    users = client.get("/v1/users", headers=bearer(admin_key)).json()["items"]

    assert {u["email"]: u["role"] for u in users} == {
        "admin@example.com": "admin",
        "user@example.com": "user",
    }


def test_an_unknown_user_is_not_found(client: TestClient, admin_key: str) -> None:
    assert_problem(client.get("/v1/users/usr_nope", headers=bearer(admin_key)), 404)


def test_the_first_user_created_over_the_api_ends_single_user_mode(client: TestClient) -> None:
    """In single-user mode the local operator is the admin, and may create the first user."""
    response = client.post("/v1/users", json={"email": "first@example.com", "role": "admin"})

    assert response.status_code == 201
    assert_problem(client.get("/v1/jobs"), 401, "unauthenticated")


def test_control_characters_are_refused_before_any_query(
    client: TestClient, admin_key: str
) -> None:
    """PostgreSQL cannot hold NUL: such input is a 4xx, never a database error.

    In a body it is a field that fails validation (422); in the URL the request is
    refused before routing (400).
    """
    h = bearer(admin_key)
    for response in (
        client.post("/v1/users", json={"email": "a\x00@example.com"}, headers=h),
        client.post("/v1/auth/login", json={"email": "a\x00@example.com", "password": "x" * 9}),
        client.post("/v1/api-keys", json={"name": "tab\there"}, headers=h),
    ):
        assert_problem(response, 422, "validation-error")
    for response in (
        client.get("/v1/users", params={"cursor": "usr_\x00"}, headers=h),
        client.get("/v1/users/usr_%00", headers=h),
        client.get("/v1/api-keys", params={"cursor": "key_\x00"}, headers=h),
        client.delete("/v1/api-keys/key_%00", headers=h),
        client.get("/v1/audit", params={"action": "auth.\x00"}, headers=h),
    ):
        assert_problem(response, 400, "bad-request")
