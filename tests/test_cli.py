"""The ``untxt`` command: local OCR, and a real server driven by the client commands."""

from __future__ import annotations

import json
import os
import pty
import select
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
from untxt.cli_local import _readers
from untxt.config import cpu_count
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


def test_ocr_of_several_files_read_at_once_prints_them_in_the_order_given(
    tmp_path: Path,
) -> None:
    """The first file, a long page, is read while the short ones after it finish first."""
    long = write(
        tmp_path / "long.png", samples.png([f"LINE {n} OF THE LONG PAGE" for n in range(30)])
    )
    short = [write(tmp_path / f"s{n}.png", samples.png([f"SHORT {n}"])) for n in range(3)]

    result = runner.invoke(app, ["ocr", str(long), *map(str, short)])

    assert result.exit_code == 0, result.output
    marks = ["LINE 29 OF THE LONG PAGE", "SHORT 0", "SHORT 1", "SHORT 2"]
    positions = [result.stdout.index(mark) for mark in marks]
    assert positions == sorted(positions)


def test_ocr_reads_one_file_a_core_each_engine_on_one_thread(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)

    assert _readers(settings, 1) == 1
    assert _readers(settings, 1000) == cpu_count()
    assert _readers(settings.with_overrides(engine_threads=cpu_count()), 1000) == 1


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
    [
        (["--format", "docx"], "unknown format"),
        (["--lang", "klingon"], "klingon"),
        (["--options", "[1]"], "JSON object"),
        (["--options", '{"preprocess": {"sharpen": true}}'], "sharpen"),
        (["--pdf-mode", "sometimes"], "pdf_mode"),
    ],
)
def test_ocr_refuses_bad_options(tmp_path: Path, args: list[str], needle: str) -> None:
    image = write(tmp_path / "x.png", samples.png(["X"]))

    result = runner.invoke(app, ["ocr", str(image), *args])

    assert result.exit_code == 1
    assert needle in result.stderr


def test_ocr_takes_job_options_as_json(tmp_path: Path) -> None:
    """``--options`` sets what has no flag of its own, and the result records it."""
    image = write(tmp_path / "scan.png", samples.png(["CLEANED PAGE"]))

    result = runner.invoke(
        app,
        [
            "ocr",
            str(image),
            "-f",
            "json",
            "--engine",
            "tesseract",
            "--options",
            '{"preprocess": {"clean": true}}',
        ],
    )

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["pages"][0]["preprocessing"]["cleaned"] is True
    assert samples.json_words(document) == ["CLEANED", "PAGE"]


def test_compare_reads_a_file_with_two_engines_and_reports_their_agreement(
    tmp_path: Path,
) -> None:
    image = write(tmp_path / "scan.png", samples.png(["INVOICE 2041", "TOTAL DUE 318.40"]))

    result = runner.invoke(
        app, ["compare", str(image), "--engine", "tesseract", "--engine", "ppocr", "--json"]
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report["engines"]) == {"tesseract", "ppocr"}
    for reading in report["engines"].values():
        assert "INVOICE 2041" in reading["text"]
        assert 0 < reading["confidence"] <= 1
    [pair] = report["agreement"]
    assert pair["agreement"] > 0.5


def test_ocr_writes_a_searchable_pdf(tmp_path: Path) -> None:
    """``-f pdf -o FILE`` writes the page image with its text layer, which pdftotext reads."""
    image = write(tmp_path / "scan.png", samples.png(["SEARCHABLE PDF", "PAGE ONE"]))
    out = tmp_path / "scan.pdf"

    result = runner.invoke(app, ["ocr", str(image), "-f", "pdf", "-o", str(out)])

    assert result.exit_code == 0, result.output
    text = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert text.split() == ["SEARCHABLE", "PDF", "PAGE", "ONE"]


def test_ocr_writes_a_binary_format_to_a_redirected_stdout(tmp_path: Path) -> None:
    """Without -o, a PDF goes to stdout as bytes when stdout is not a terminal."""
    image = write(tmp_path / "scan.png", samples.png(["PIPED"]))

    result = runner.invoke(app, ["ocr", str(image), "-f", "pdf"])

    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"%PDF-")
    assert result.stdout_bytes.rstrip().endswith(b"%%EOF")


def test_ocr_will_not_print_a_pdf_on_a_terminal(tmp_path: Path) -> None:
    """A PDF on a terminal is garbage on the screen: it asks for -o before reading anything."""
    image = write(tmp_path / "scan.png", samples.png(["TTY"]))
    terminal, screen = pty.openpty()
    try:
        result = subprocess.run(
            [UNTXT, "ocr", str(image), "-f", "pdf"],
            stdout=screen,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
        shown = select.select([terminal], [], [], 0)[0]
    finally:
        os.close(screen)
        os.close(terminal)

    assert result.returncode == 1
    assert "-o" in result.stderr
    assert not shown


def test_ocr_will_not_run_several_binary_results_together_on_stdout(tmp_path: Path) -> None:
    """Several PDFs one after another on stdout would be one broken file: it asks for -o."""
    a = write(tmp_path / "a.png", samples.png(["A"]))
    b = write(tmp_path / "b.png", samples.png(["B"]))

    result = runner.invoke(app, ["ocr", str(a), str(b), "-f", "pdf"])

    assert result.exit_code == 1
    assert "-o" in result.stderr
    assert result.stdout_bytes == b""


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
        assert "SERVED 42" in submitted.stdout
        job = {"id": submitted.stderr.split("untxt: job ")[1].split()[0]}
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
