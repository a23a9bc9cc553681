"""``untxt usage``: a server's usage through the client, as a table or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from tests import samples
from tests.auth_helpers import make_user_key
from tests.conftest import make_settings
from tests.events.live import free_port, serving
from untxt.app import create_app
from untxt.cli import app as cli
from untxt.engines import EngineRegistry

runner = CliRunner()


@pytest.fixture
def app(tmp_path: Path, engines: EngineRegistry) -> FastAPI:
    return create_app(make_settings(tmp_path / "data"), engines=engines)


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    with serving(app) as url:
        yield url


def submit(server: str, key: str, text: str) -> int:
    data = samples.png([text])
    response = httpx.post(
        f"{server}/v1/ocr",
        files={"file": ("scan.png", data)},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 202, response.text
    return len(data)


def test_usage_prints_each_owners_days_and_totals(app: FastAPI, server: str) -> None:
    admin = make_user_key(app, "admin@example.com", admin=True)
    alice = make_user_key(app, "alice@example.com")
    size = submit(server, alice, "ALICE") + submit(server, alice, "AGAIN")
    today = datetime.now(UTC).date().isoformat()

    as_json = runner.invoke(
        cli, ["usage", "--server", server, "--api-key", admin, "--all", "--json"]
    )
    table = runner.invoke(
        cli,
        ["usage", "--all", "--since", today],
        env={"UNTXT_SERVER": server, "UNTXT_API_KEY": admin},
    )
    own = runner.invoke(cli, ["usage", "--server", server, "--api-key", admin])

    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.output)
    assert [(d["email"], d["day"], d["jobs"], d["bytes"]) for d in body["days"]] == [
        ("alice@example.com", today, 2, size)
    ]
    assert table.exit_code == 0, table.output
    assert f"usage {today} to {today}" in table.output
    assert "alice@example.com" in table.output and "total" in table.output
    assert f"{size:,}" in table.output
    assert own.exit_code == 0, own.output
    assert own.output.startswith("no jobs from ")


def test_usage_fails_in_words(app: FastAPI, server: str) -> None:
    alice = make_user_key(app, "alice@example.com")

    bad_day = runner.invoke(cli, ["usage", "--server", server, "--since", "last week"])
    refused = runner.invoke(cli, ["usage", "--server", server, "--api-key", alice, "--all"])
    nobody = runner.invoke(cli, ["usage", "--server", f"http://127.0.0.1:{free_port()}"])

    assert bad_day.exit_code == 2 and "YYYY-MM-DD" in bad_day.output
    assert refused.exit_code == 1 and "403" in refused.output and "admin" in refused.output
    assert nobody.exit_code == 1 and "cannot reach" in nobody.output
