"""The whole service on PostgreSQL, as separate processes: load, and the database going away."""

from __future__ import annotations

import glob
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests import samples
from tests.worker.helpers import output, wait_for
from untxt.config import Settings
from untxt.db import Database
from untxt.db.models import JobRow, ResultRow, TaskRow

pytestmark = pytest.mark.postgres

Launch = Callable[..., subprocess.Popen[bytes]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(processes: Launch, pg_settings: Settings) -> Iterator[str]:
    """``untxt serve`` with 4 workers on the test's PostgreSQL schema; yields its URL."""
    port = _free_port()
    serve = processes("serve", "--port", str(port), "--workers", "4")
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(ready, timeout=60, interval=0.2)
    yield url
    assert serve.poll() is None, output(serve)


def _submit(client: httpx.Client, n: int) -> httpx.Response:
    return client.post(
        "/v1/ocr",
        files={"file": (f"job{n}.png", samples.png([f"JOB {n}"]))},
        # The queue is under test, not the engine: the quickest one on tiny images.
        data={"options": '{"outputs": ["text"], "engine": "tesseract"}'},
    )


def test_500_concurrent_submissions_each_complete_exactly_once(
    server: str, pg_settings: Settings
) -> None:
    with httpx.Client(base_url=server, timeout=60) as client, ThreadPoolExecutor(32) as pool:
        responses = list(pool.map(lambda n: _submit(client, n), range(500)))
    assert [r.status_code for r in responses] == [202] * 500
    ids = {n: r.json()["id"] for n, r in enumerate(responses)}
    assert len(set(ids.values())) == 500

    db = Database(pg_settings.database_url)
    try:
        wait_for(lambda: _count(db, JobRow.status == "completed") == 500, timeout=240, interval=1)
        with db.read() as session:
            tasks = session.execute(
                select(TaskRow.job_id, TaskRow.page, TaskRow.attempts, TaskRow.status)
            ).all()
            rows = session.execute(select(ResultRow.job_id, ResultRow.blob_key)).all()
            results = {row.job_id: row.blob_key for row in rows}
    finally:
        db.dispose()
    # Each job: one page, run once, finishing the job; one result, with its own text.
    assert len(tasks) == 500
    assert {(t.page, t.attempts, t.status) for t in tasks} == {(1, 1, "done")}
    assert len(results) == 500
    blobs = pg_settings.data_dir / "blobs"
    for n, job_id in ids.items():
        assert f"JOB {n}" in (blobs / results[job_id]).read_text(), n


def _count(db: Database, condition: object) -> int:
    with db.read() as session:
        query = select(func.count()).select_from(JobRow).where(condition)  # type: ignore[arg-type]
        return int(session.scalar(query))


def _restart_postgres() -> None:
    versions = glob.glob("/etc/postgresql/*")
    if not versions:
        pytest.skip("no local PostgreSQL cluster to restart")
    version = Path(versions[0]).name
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "stop", "-m", "fast"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    time.sleep(2)  # submissions keep arriving while the database is gone
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_restarting_postgres_under_load_gives_503s_and_loses_no_accepted_job(
    server: str, pg_settings: Settings
) -> None:
    if subprocess.run(["which", "pg_ctlcluster"], capture_output=True).returncode != 0:
        pytest.skip("pg_ctlcluster is not installed")
    answers: list[tuple[int, str, str | None]] = []  # status, content type, job id
    failures: list[str] = []
    stop = threading.Event()

    def submit_loop() -> None:
        n = 0
        with httpx.Client(base_url=server, timeout=15) as client:
            while not stop.is_set():
                n += 1
                try:
                    response = _submit(client, 10_000 + n)
                except httpx.HTTPError as exc:  # a hang or a dropped connection
                    failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                job_id = response.json().get("id") if response.status_code == 202 else None
                answers.append((response.status_code, response.headers["content-type"], job_id))
                time.sleep(0.02)

    loop = threading.Thread(target=submit_loop)
    loop.start()
    try:
        time.sleep(2)
        _restart_postgres()
        # Recovery without help: accepted submissions again within a few seconds.
        restarted = len(answers)
        wait_for(lambda: any(a[0] == 202 for a in answers[restarted:]), timeout=30)
        time.sleep(1)
    finally:
        stop.set()
        loop.join(30)

    assert not failures, failures[:3]
    statuses = {status for status, _, _ in answers}
    assert statuses <= {202, 503}, statuses
    assert 503 in statuses  # the outage was seen, and answered properly
    for status, content_type, _ in answers:
        if status == 503:
            assert content_type.startswith("application/problem+json")
    accepted = [job_id for status, _, job_id in answers if status == 202]
    db = Database(pg_settings.database_url)
    try:
        wait_for(lambda: _count(db, JobRow.id.in_(accepted)) == len(accepted), timeout=30)
        wait_for(
            lambda: (
                _count(db, JobRow.id.in_(accepted) & (JobRow.status == "completed"))
                == len(accepted)
            ),
            timeout=120,
            interval=1,
        )
    finally:
        db.dispose()
