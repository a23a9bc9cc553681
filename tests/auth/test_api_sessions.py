"""Browser sessions: login sets an HttpOnly cookie, writes need the CSRF token, logout ends it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import assert_problem
from tests.auth.conftest import USER_EMAIL, USER_PASSWORD
from tests.auth_helpers import bearer, make_user_key
from tests.conftest import make_settings
from tests.worker.helpers import wait_for
from untxt.app import create_app
from untxt.auth.sessions import CSRF_COOKIE, SESSION_COOKIE
from untxt.engines import EngineRegistry


def _login(client: TestClient, email: str = USER_EMAIL, password: str = USER_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def test_login_sets_an_httponly_session_cookie_and_a_readable_csrf_cookie(
    client: TestClient, user_key: str
) -> None:
    response = _login(client, USER_EMAIL.upper())  # addresses are not case-sensitive

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["email"] == USER_EMAIL and body["role"] == "user"
    cookies = {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}
    session = cookies[SESSION_COOKIE].lower()
    assert "httponly" in session and "samesite=lax" in session and "path=/" in session
    csrf = cookies[CSRF_COOKIE].lower()
    assert "httponly" not in csrf
    assert f"{CSRF_COOKIE}={body['csrf_token']}".lower() in csrf
    me = client.get("/v1/auth/me").json()
    assert me["via"] == "session" and me["email"] == USER_EMAIL


def test_a_cookie_authenticated_write_needs_the_csrf_token(
    client: TestClient, user_key: str
) -> None:
    csrf = _login(client).json()["csrf_token"]

    refused = client.post("/v1/api-keys", json={"name": "ui"})
    wrong = client.post("/v1/api-keys", json={"name": "ui"}, headers={"X-CSRF-Token": "nope"})
    allowed = client.post("/v1/api-keys", json={"name": "ui"}, headers={"X-CSRF-Token": csrf})

    assert_problem(refused, 403, "csrf-failed")
    assert_problem(wrong, 403, "csrf-failed")
    assert allowed.status_code == 201, allowed.text
    assert client.get("/v1/api-keys").status_code == 200  # reads need no token


def test_a_key_authenticated_write_needs_no_csrf_token(client: TestClient, user_key: str) -> None:
    response = client.post("/v1/api-keys", json={"name": "ci"}, headers=bearer(user_key))

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("email", "password"),
    [(USER_EMAIL, "wrong password"), ("nobody@example.com", USER_PASSWORD)],
)
def test_a_failed_login_does_not_say_whether_the_address_exists(
    client: TestClient, user_key: str, email: str, password: str
) -> None:
    response = _login(client, email, password)

    body = assert_problem(response, 401, "unauthenticated")
    assert body["detail"] == "wrong e-mail address or password"
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_an_account_without_a_password_cannot_log_in(client: TestClient, admin_key: str) -> None:
    make_user_key(client, "keys-only@example.com")

    assert_problem(_login(client, "keys-only@example.com", "anything at all"), 401)


def test_logout_clears_the_session(client: TestClient, user_key: str) -> None:
    _login(client)
    assert client.get("/v1/auth/me").status_code == 200

    response = client.post("/v1/auth/logout")

    assert response.status_code == 204
    cleared = " ".join(response.headers.get_list("set-cookie"))
    assert f'{SESSION_COOKIE}=""' in cleared and "max-age=0" in cleared.lower()
    assert_problem(client.get("/v1/auth/me"), 401, "unauthenticated")


def test_a_tampered_or_expired_session_is_refused(client: TestClient, user_key: str) -> None:
    _login(client)
    token = client.cookies[SESSION_COOKIE]
    client.cookies.set(SESSION_COOKIE, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert_problem(client.get("/v1/auth/me"), 401, "unauthenticated")

    state = client.app.state.untxt  # type: ignore[attr-defined]
    state.accounts.session_ttl = timedelta(seconds=1)
    client.cookies.clear()
    _login(client)
    assert client.get("/v1/auth/me").status_code == 200
    # Expiry is kept in whole seconds: the session ends within 2 s of the login.
    wait_for(lambda: client.get("/v1/auth/me").status_code == 401, timeout=2.1, interval=0.05)
    assert_problem(client.get("/v1/auth/me"), 401, "unauthenticated")


def test_login_answers_422_to_a_malformed_body(client: TestClient, user_key: str) -> None:
    assert_problem(client.post("/v1/auth/login", json={"email": USER_EMAIL}), 422)


def test_a_session_holds_across_restarts_and_nodes(client: TestClient, user_key: str) -> None:
    """The generated signing key lives in the database: another app on it accepts the cookie."""
    _login(client)
    state = client.app.state.untxt  # type: ignore[attr-defined]
    with TestClient(create_app(state.settings, engines=state.engines)) as other_node:
        other_node.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE])

        me = other_node.get("/v1/auth/me")

    assert me.status_code == 200, me.text
    assert me.json()["email"] == USER_EMAIL


def test_a_configured_secret_key_signs_sessions(tmp_path: Path, engines: EngineRegistry) -> None:
    """With UNTXT_SECRET_KEY set, nodes sharing it accept each other's sessions, and a node
    with another key does not."""
    first = make_settings(tmp_path / "a", secret_key="s" * 40)
    with TestClient(create_app(first, engines=engines)) as a:
        make_user_key(a, USER_EMAIL, password=USER_PASSWORD)
        _login(a)
        cookie = a.cookies[SESSION_COOKIE]
    same = make_settings(tmp_path / "a", secret_key="s" * 40)
    other = make_settings(tmp_path / "a", secret_key="t" * 40)
    with TestClient(create_app(same, engines=engines)) as b:
        b.cookies.set(SESSION_COOKIE, cookie)
        assert b.get("/v1/auth/me").status_code == 200
    with TestClient(create_app(other, engines=engines)) as c:
        c.cookies.set(SESSION_COOKIE, cookie)
        assert_problem(c.get("/v1/auth/me"), 401, "unauthenticated")
