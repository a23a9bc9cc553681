"""The Dockerfiles: hadolint finds nothing, and the images are what docs/deploy.md says."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.chart import ROOT

HADOLINT = Path(sys.executable).with_name("hadolint")
DOCKERFILES = ("Dockerfile", "Dockerfile.cuda")
TESSDATA = ("tesseract-ocr-eng", "tesseract-ocr-vie", "tesseract-ocr-osd")


def hadolint(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """hadolint failing on any finding, style included, and no config or inline pragma
    of anyone's able to silence one."""
    config = tmp_path / "hadolint.yaml"
    config.write_text("{}\n")
    return subprocess.run(
        [
            str(HADOLINT),
            "--config",
            str(config),
            "--disable-ignore-pragma",
            "--failure-threshold",
            "style",
            "--format",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def instructions(path: Path) -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def final_stage(path: Path) -> list[tuple[str, str]]:
    """The instructions of the last stage: the image that runs."""
    steps = instructions(path)
    start = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[start:]


@pytest.mark.parametrize("name", DOCKERFILES)
def test_hadolint_finds_nothing(name: str, tmp_path: Path) -> None:
    done = hadolint(ROOT / name, tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, "[]"), done.stdout + done.stderr


def test_hadolint_fails_on_a_finding(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    text = (ROOT / "Dockerfile").read_text()
    # An unpinned package and a root user: two findings hadolint must report.
    dockerfile.write_text(
        text.replace("tesseract-ocr-osd=1:4.1.0-2", "tesseract-ocr-osd") + "USER root\n"
    )
    done = hadolint(dockerfile, tmp_path)
    assert done.returncode == 1
    assert {"DL3008", "DL3002"} <= set(re.findall(r'"code":"(DL\d+)"', done.stdout))


@pytest.mark.parametrize("name", DOCKERFILES)
def test_the_image_runs_as_a_numeric_non_root_user(name: str) -> None:
    users = [args for keyword, args in final_stage(ROOT / name) if keyword == "USER"]
    assert users, "no USER: the image would run as root"
    # Numeric, so that Kubernetes can check runAsNonRoot before the container starts.
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) > 0 and gid.isdigit() and int(gid) > 0


@pytest.mark.parametrize("name", DOCKERFILES)
def test_the_image_has_a_healthcheck_and_the_tesseract_data(name: str) -> None:
    stage = final_stage(ROOT / name)
    (check,) = [args for keyword, args in stage if keyword == "HEALTHCHECK"]
    assert '"/usr/local/lib/untxt/healthcheck.py"' in check
    runs = " ".join(args for keyword, args in stage if keyword == "RUN")
    for package in TESSDATA:
        assert re.search(rf"\b{package}=\S+", runs), f"{package} not installed, or not pinned"
    env = " ".join(args for keyword, args in stage if keyword == "ENV")
    assert "UNTXT_TESSDATA_DIR=/usr/share/tesseract-ocr/5/tessdata" in env


def _pin(requirements: list[str], name: str) -> str:
    (version,) = [r.split("==")[1] for r in requirements if r.split("==")[0] == name]
    return version


def test_the_cuda_image_has_the_gpu_build_of_the_pinned_onnxruntime() -> None:
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pinned = _pin(project["project"]["dependencies"], "onnxruntime")
    runs = " ".join(args for keyword, args in instructions(ROOT / "Dockerfile.cuda"))
    assert f'"onnxruntime-gpu[cuda,cudnn]=={pinned}"' in runs
    assert "pip uninstall --yes onnxruntime" in runs
    env = " ".join(
        args for keyword, args in final_stage(ROOT / "Dockerfile.cuda") if keyword == "ENV"
    )
    assert "nvidia/cu13/lib" in env and "nvidia/cudnn/lib" in env


def _excluded(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps ``path`` out of the build context (last match wins)."""
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        stem = pattern.lstrip("!").rstrip("/")
        if stem == "*" or path == stem or path.startswith(stem + "/"):
            excluded = not negated
    return excluded


@pytest.mark.parametrize("name", DOCKERFILES)
def test_everything_the_build_copies_is_in_the_context(name: str) -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#") and "**" not in line
    ]
    copies = [args for keyword, args in instructions(ROOT / name) if keyword == "COPY"]
    sources = [source for args in copies if "--from" not in args for source in args.split()[:-1]]
    assert "src" in sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not _excluded(source, patterns), f"{source} is left out by .dockerignore"
    assert _excluded(".venv", patterns) and _excluded("tests", patterns)


def test_the_healthcheck_passes_on_200_and_fails_when_nothing_answers(tmp_path: Path) -> None:
    import http.server
    import threading

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script = ROOT / "deploy" / "docker" / "healthcheck.py"
    port = server.server_address[1]
    try:

        def check(**env: str) -> int:
            return subprocess.run(
                [sys.executable, str(script)], env=env, capture_output=True, timeout=30
            ).returncode

        assert check(UNTXT_PORT=str(port)) == 0
        assert check(HEALTHCHECK_URL=f"http://127.0.0.1:{port}/healthz") == 0
        assert check(HEALTHCHECK_URL=f"http://127.0.0.1:{port}/missing") == 1
    finally:
        server.shutdown()
        server.server_close()
    assert check(UNTXT_PORT=str(port)) == 1
