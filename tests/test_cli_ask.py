"""``untxt ask``: a server's answer through the client, with its rows and sources."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from tests.ask.documents import store_bills
from tests.conftest import make_settings
from tests.events.live import serving
from untxt.app import create_app
from untxt.cli import app as cli
from untxt.db.types import utcnow
from untxt.engines import EngineRegistry

runner = CliRunner()


@pytest.fixture
def server(tmp_path: Path, engines: EngineRegistry) -> Iterator[str]:
    app: FastAPI = create_app(make_settings(tmp_path / "data"), engines=engines)
    with serving(app) as url:
        store_bills(app.state.untxt.db, utcnow())
        yield url


def test_ask_prints_the_answer_the_rows_used_and_the_sources(server: str) -> None:
    result = runner.invoke(cli, ["ask", "--server", server, "How many electricity bills?"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "You have 2 electricity bills."
    assert any("2025-03-05  HANOI POWER COMPANY  scan.pdf  1,250,000.00 VND" in x for x in lines)
    assert any(x.startswith("[2] scan.pdf page 1") for x in lines)


def test_ask_as_json_and_a_refused_question(server: str) -> None:
    result = runner.invoke(cli, ["ask", "--server", server, "--json", "Did", "we", "buy", "bread?"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["answered_by"] == "none" and body["citations"][0]["kind"] == "passage"
    refused = runner.invoke(cli, ["ask", "--server", server, "-d", "doc_nope", "total?"])
    assert refused.exit_code == 1 and "no document 'doc_nope'" in refused.output
