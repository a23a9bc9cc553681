"""``untxt users`` and ``untxt keys``, and how ``serve`` treats a database without users."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.auth_helpers import bearer
from tests.conftest import make_settings
from tests.worker.helpers import UNTXT, output, process_env, start, wait_for
from untxt.app import create_app
from untxt.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _keep_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the commands from pointing logging at the runner's stderr, which closes after
    each invocation while apps of this process go on logging."""
    monkeypatch.setattr("untxt.logs.configure_logging", lambda *args, **kwargs: None)


def _invoke(data_dir: Path, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [*args, "--data-dir", str(data_dir)], input=input)


def test_users_and_keys_made_on_the_command_line_open_the_api(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    made = _invoke(data_dir, "users", "create", "Ops@Example.com", "--admin")
    key = _invoke(data_dir, "keys", "create", "ops@example.com", "--name", "deploy")

    assert made.exit_code == 0, made.output
    assert made.stdout.strip().startswith("usr_")
    assert key.exit_code == 0, key.output
    raw = key.stdout.strip()
    assert raw.startswith("untxt_") and key.stdout.count("\n") == 1  # the key alone, once
    with TestClient(create_app(make_settings(data_dir))) as client:
        assert client.get("/v1/jobs").status_code == 401
        me = client.get("/v1/auth/me", headers=bearer(raw)).json()
        assert (me["email"], me["role"]) == ("ops@example.com", "admin")
        keys = client.get("/v1/api-keys", headers=bearer(raw)).json()["items"]
        assert [k["name"] for k in keys] == ["deploy"]
        events = client.get("/v1/audit", headers=bearer(raw)).json()["items"]
        assert [(e["action"], e["actor"]) for e in events] == [
            ("api_key.create", "cli"),
            ("user.create", "cli"),
        ]


def test_a_password_is_prompted_for_and_confirmed(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    made = _invoke(data_dir, "users", "create", "pw@example.com", "--password",
                   input="long enough pw\nlong enough pw\n")  # fmt: skip

    assert made.exit_code == 0, made.output
    assert "long enough pw" not in made.stdout
    with TestClient(create_app(make_settings(data_dir))) as client:
        login = client.post(
            "/v1/auth/login", json={"email": "pw@example.com", "password": "long enough pw"}
        )
        assert login.status_code == 200


def test_the_admin_commands_read_the_data_dir_from_the_environment(tmp_path: Path) -> None:
    data_dir = tmp_path / "env-data"

    made = runner.invoke(
        app, ["users", "create", "env@example.com"], env={"UNTXT_DATA_DIR": str(data_dir)}
    )

    assert made.exit_code == 0, made.output
    listed = _invoke(data_dir, "users", "list")
    assert "env@example.com" in listed.stdout and "\tuser\t" in listed.stdout


def test_mistakes_are_reported_without_a_trace(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    _invoke(data_dir, "users", "create", "one@example.com")

    again = _invoke(data_dir, "users", "create", "ONE@example.com")
    bad = _invoke(data_dir, "users", "create", "not-an-address")
    nobody = _invoke(data_dir, "keys", "create", "nobody@example.com")
    expiry = _invoke(data_dir, "keys", "create", "one@example.com", "--expires-in", "soon")
    unknown = _invoke(data_dir, "keys", "revoke", "key_nope")

    for result, needle in [
        (again, "exists already"),
        (bad, "not an e-mail address"),
        (nobody, "untxt users create nobody@example.com"),
        (expiry, "--expires-in"),
        (unknown, "key_nope"),
    ]:
        assert result.exit_code == 1, result.output
        assert needle in " ".join(result.stderr.split())  # the console wraps long lines
        assert "Traceback" not in result.output


def test_a_revoked_key_stops_working(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    _invoke(data_dir, "users", "create", "r@example.com")
    raw = _invoke(data_dir, "keys", "create", "r@example.com").stdout.strip()
    with TestClient(create_app(make_settings(data_dir))) as client:
        key_id = client.get("/v1/api-keys", headers=bearer(raw)).json()["items"][0]["id"]

        revoked = _invoke(data_dir, "keys", "revoke", key_id)

        assert revoked.exit_code == 0, revoked.output
        assert client.get("/v1/jobs", headers=bearer(raw)).status_code == 401


def test_serve_refuses_a_public_address_without_users(tmp_path: Path) -> None:
    result = _invoke(tmp_path / "data", "serve", "--host", "0.0.0.0", "--workers", "0")

    assert result.exit_code == 1
    assert "untxt users create" in result.stderr and "--admin" in result.stderr
    assert "127.0.0.1" in result.stderr


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_first_user_made_while_serving_ends_single_user_mode(tmp_path: Path) -> None:
    """serve says how to leave single-user mode; doing so from another process takes effect."""
    settings = make_settings(tmp_path / "data")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    serve = start(["serve", "--port", str(port), "--workers", "0"], settings)
    try:
        wait_for(lambda: _answers(f"{base}/healthz"), timeout=60, interval=0.2)
        assert "single-user mode" in output(serve)
        assert "untxt users create" in output(serve)
        assert httpx.get(f"{base}/v1/jobs").status_code == 200

        env = process_env(settings)
        subprocess.run([UNTXT, "users", "create", "first@example.com", "--admin"],
                       env=env, check=True, capture_output=True, timeout=60)  # fmt: skip
        key = subprocess.run([UNTXT, "keys", "create", "first@example.com"],
                             env=env, check=True, capture_output=True, text=True,
                             timeout=60).stdout.strip()  # fmt: skip

        wait_for(lambda: httpx.get(f"{base}/v1/jobs").status_code == 401, timeout=10)
        assert httpx.get(f"{base}/v1/jobs", headers=bearer(key)).status_code == 200
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=60)
