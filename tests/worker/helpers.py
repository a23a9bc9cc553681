"""Helpers for tests that run workers as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from untxt.config import Settings
from untxt.db.models import JobRow, TaskRow
from untxt.db.session import Database

UNTXT = str(Path(sys.executable).with_name("untxt"))


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment that points an ``untxt`` process at the test's data dir."""
    env = dict(os.environ)
    env.update(
        {
            "UNTXT_DATA_DIR": str(settings.data_dir),
            # The metrics' files of its processes, in the test's own directory: one that a
            # test kills leaves them behind.
            "PROMETHEUS_MULTIPROC_DIR": str(settings.data_dir / "metrics"),
            "UNTXT_LEASE_TTL": str(settings.lease_ttl),
            "UNTXT_POLL_INTERVAL": "0.1",
            "UNTXT_RETRY_BASE": "0.01",
            "UNTXT_RETRY_CAP": "0.05",
            "UNTXT_WORKER_NICE": "0",
            "UNTXT_LOG_LEVEL": "warning",
            # The tests' processes submit far faster than one client may by default.
            "UNTXT_RATE_LIMIT_SUBMIT": settings.rate_limit_submit,
            "UNTXT_RATE_LIMIT_READ": settings.rate_limit_read,
        }
    )
    env.update(extra)
    return env


def start(args: list[str], settings: Settings, **extra: str) -> subprocess.Popen[bytes]:
    """Start ``untxt ARGS`` in its own process group, its output going to a log file.

    A file rather than a pipe: a pipe nobody reads fills up and stalls the process.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open for the process's life
        dir=settings.data_dir, prefix=f"{args[0]}-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        [UNTXT, *args],
        env=process_env(settings, **extra),
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log_path = log.name  # type: ignore[attr-defined]
    log.close()
    return process


def output(process: subprocess.Popen[bytes]) -> str:
    """What a process started by :func:`start` has printed so far."""
    return Path(process.log_path).read_text(errors="replace")  # type: ignore[attr-defined]


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def task_statuses(db: Database, job_id: str) -> dict[int, str]:
    with db.read() as session:
        rows = session.execute(
            select(TaskRow.page, TaskRow.status).where(TaskRow.job_id == job_id)
        ).all()
    return {row.page: row.status for row in rows}


def job_row(db: Database, job_id: str) -> JobRow:
    with db.read() as session:
        job = session.get(JobRow, job_id)
        assert job is not None
        return job


def children(pid: int) -> list[int]:
    """PIDs of the direct children of ``pid``."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text().split()
        found += [int(c) for c in text]
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.split(")")[-1].split()[0] != "Z"
