"""The ``untxt`` command: local OCR, and a real server driven by the client commands."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests import samples
from tests.conftest import make_settings
from tests.worker.helpers import UNTXT, alive, children, output, process_env, start, wait_for
from untxt.cli import app
from untxt.db.migrate import head_revision

runner = CliRunner()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_ocr_prints_recognised_text_to_stdout(tmp_path: Path) -> None:
    image = write(tmp_path / "scan.png", samples.png(["RECEIPT 2024", "CASH 12"]))

    result = runner.invoke(app, ["ocr", str(image)])

    assert result.exit_code == 0, result.output
    assert "RECEIPT 2024" in result.stdout
    assert "CASH 12" in result.stdout


def test_ocr_writes_markdown_of_a_multipage_pdf_to_a_file(tmp_path: Path) -> None:
    pdf = write(tmp_path / "two.pdf", samples.pdf([["ALPHA PAGE"], ["BETA PAGE"]], dpi=100))
    out = tmp_path / "out" / "two.md"

    result = runner.invoke(
        app, ["ocr", str(pdf), "--format", "markdown", "-o", str(out), "--resolution", "small"]
    )

    assert result.exit_code == 0, result.output
    markdown = out.read_text()
    assert markdown.index("<!-- page 1 -->") < markdown.index("ALPHA") < markdown.index("BETA")
    assert "<!-- page 2 -->" in markdown


def test_ocr_of_several_files_writes_one_result_each_into_a_folder(tmp_path: Path) -> None:
    a = write(tmp_path / "a.png", samples.png(["FILE A"]))
    b = write(tmp_path / "b.tiff", samples.multipage([["FILE B"]], "TIFF"))

    result = runner.invoke(app, ["ocr", str(a), str(b), "-f", "json", "-o", str(tmp_path / "r")])

    assert result.exit_code == 0, result.output
    for name, expected in (("a", "A"), ("b", "B")):
        document = json.loads((tmp_path / "r" / f"{name}.json").read_text())
        assert samples.json_words(document) == ["FILE", expected]


def test_ocr_reports_a_bad_file_and_exits_nonzero(tmp_path: Path) -> None:
    fake = write(tmp_path / "fake.png", b"not an image at all")
    good = write(tmp_path / "good.png", samples.png(["STILL READ"]))

    result = runner.invoke(app, ["ocr", str(fake), str(good)])

    assert result.exit_code == 1
    assert "fake.png" in result.stderr
    assert "not a document untxt reads" in result.stderr
    assert "STILL READ" in result.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--format", "docx"], "unknown format"), (["--lang", "klingon"], "klingon")],
)
def test_ocr_refuses_bad_options(tmp_path: Path, args: list[str], needle: str) -> None:
    image = write(tmp_path / "x.png", samples.png(["X"]))

    result = runner.invoke(app, ["ocr", str(image), *args])

    assert result.exit_code == 1
    assert needle in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_runs_the_whole_service_and_stops_cleanly(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    port = _free_port()
    server = f"http://127.0.0.1:{port}"
    serve = start(["serve", "--port", str(port), "--workers", "2"], settings)
    try:
        wait_for(lambda: _answers(f"{server}/readyz"), timeout=60, interval=0.2)
        image = write(tmp_path / "scan.png", samples.png(["SERVED 42"]))
        env = process_env(settings)

        submitted = subprocess.run(
            [UNTXT, "submit", str(image), "--server", server, "--wait", "-l", "eng"],
            env=env, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        job = json.loads(submitted.stdout)
        assert job["status"] == "completed"
        status = subprocess.run(
            [UNTXT, "status", job["id"], "--server", server],
            env=env, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        assert json.loads(status.stdout)["pages_done"] == 1
        result = subprocess.run(
            [UNTXT, "result", job["id"], "--format", "text", "--server", server],
            env=env, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        assert "SERVED 42" in result.stdout

        missing = subprocess.run(
            [UNTXT, "result", "job_nope", "--server", server],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert missing.returncode == 1
        assert "404" in missing.stderr and "job_nope" in missing.stderr

        workers = [pid for pid in children(serve.pid) if _is_worker(pid)]
        assert len(workers) == 2
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=60)
    assert serve.returncode == 0, output(serve)
    assert not any(alive(pid) for pid in workers)


def test_client_commands_report_an_unreachable_server() -> None:
    result = runner.invoke(app, ["status", "job_x", "--server", f"http://127.0.0.1:{_free_port()}"])

    assert result.exit_code == 1
    assert "cannot reach" in result.stderr


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _is_worker(pid: int) -> bool:
    return "spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")


def test_db_upgrade_migrates_the_database_in_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    result = runner.invoke(app, ["db", "upgrade", "--data-dir", str(data_dir)])

    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()}" in result.stdout
    assert (data_dir / "untxt.db").is_file()
