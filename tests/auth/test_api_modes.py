"""Single-user mode, and what the first user changes: every /v1 request needs credentials."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import assert_problem
from tests.auth_helpers import bearer, make_user_key

# Endpoints reachable without credentials once users exist: logging in and out, and
# what probes, scrapers and API browsers need.
# A download link is its own credential (signed, expiring): see tests/api/test_links.py.
OPEN_PATHS = {"/v1/auth/login", "/v1/auth/logout", "/v1/links/{token}"}


def test_without_users_every_caller_is_the_local_admin(client: TestClient) -> None:
    """Single-user mode: no login, the owner is ``local``, and it may do admin things."""
    me = client.get("/v1/auth/me")

    assert me.status_code == 200
    assert me.json() == {
        "owner": "local",
        "user_id": None,
        "email": None,
        "role": "admin",
        "via": "local",
    }
    assert client.get("/v1/jobs").status_code == 200
    assert client.get("/v1/admin/stats").status_code == 200


def test_the_first_user_ends_single_user_mode(client: TestClient) -> None:
    assert client.get("/v1/documents").status_code == 200
    make_user_key(client, "first@example.com")

    response = client.get("/v1/documents")

    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"] == 'Bearer realm="untxt"'


def test_a_user_created_elsewhere_ends_single_user_mode_within_seconds(
    client: TestClient,
) -> None:
    """A user written to the database by another process (the CLI) is noticed by a re-check."""
    state = client.app.state.untxt  # type: ignore[attr-defined]
    state.accounts.recheck_s = 0.2
    assert client.get("/v1/jobs").status_code == 200
    make_user_key(state.db, "cli@example.com")  # the database only: the app is not told

    time.sleep(0.3)
    assert client.get("/v1/jobs").status_code == 401


def test_every_v1_endpoint_needs_credentials_once_users_exist(
    client: TestClient, admin_key: str
) -> None:
    """Every /v1 operation the OpenAPI document lists, but login and logout, answers 401."""
    paths = client.get("/openapi.json").json()["paths"]
    checked = []
    for template, operations in paths.items():
        if not template.startswith("/v1/") or template in OPEN_PATHS:
            continue
        path = template.replace("{", "").replace("}", "")  # any id will do
        for method in operations.keys() & {"get", "post", "put", "patch", "delete"}:
            response = client.request(method.upper(), path)
            assert response.status_code == 401, (method, template, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
            checked.append((method, template))
    assert {("get", "/v1/jobs/{job_id}"), ("post", "/v1/ocr"), ("get", "/v1/engines")} <= set(
        checked
    )
    assert_problem(client.get("/v1/links/made-up"), 403, "link-invalid")


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json", "/docs"])
def test_probes_and_api_docs_stay_open(client: TestClient, admin_key: str, path: str) -> None:
    assert client.get(path).status_code == 200


def test_a_key_is_accepted_as_bearer_or_as_x_api_key(client: TestClient, admin_key: str) -> None:
    assert client.get("/v1/jobs", headers=bearer(admin_key)).status_code == 200
    assert client.get("/v1/jobs", headers={"X-API-Key": admin_key}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer untxt_0123456789ab_" + "x" * 43},  # well formed, unknown
        {"Authorization": "Bearer not-a-key"},
        {"X-API-Key": "untxt_zz_short"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
    ],
)
def test_an_unknown_or_malformed_key_is_refused_as_an_invalid_token(
    client: TestClient, admin_key: str, headers: dict[str, str]
) -> None:
    response = client.get("/v1/jobs", headers=headers)

    assert_problem(response, 401, "unauthenticated")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_a_key_with_a_wrong_secret_is_refused(client: TestClient, admin_key: str) -> None:
    """The public prefix alone opens nothing: the secret must hash to the stored value."""
    forged = admin_key[:-4] + ("AAAA" if not admin_key.endswith("AAAA") else "BBBB")

    assert_problem(client.get("/v1/jobs", headers=bearer(forged)), 401, "unauthenticated")


def test_a_user_owns_what_they_upload(client: TestClient, admin_key: str) -> None:
    me = client.get("/v1/auth/me", headers=bearer(admin_key)).json()

    assert me["via"] == "key"
    assert me["owner"] == me["user_id"]
    assert me["owner"].startswith("usr_")
