"""Fixtures for the scale-out tests: a PostgreSQL schema, an API on it, worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings, postgres_schema_url
from tests.worker.helpers import start
from untxt.app import create_app
from untxt.config import Settings
from untxt.engines import EngineRegistry

LEASE_TTL = 3.0


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings on a fresh PostgreSQL schema, with a short lease so recovery tests are quick."""
    for url in postgres_schema_url():
        yield make_settings(tmp_path / "data", database_url=url, lease_ttl=LEASE_TTL)


@pytest.fixture
def pg_api(pg_settings: Settings, engines: EngineRegistry) -> Iterator[TestClient]:
    """The API on PostgreSQL, in this process (worker processes run beside it)."""
    with TestClient(create_app(pg_settings, engines=engines)) as client:
        yield client


@pytest.fixture
def processes(pg_settings: Settings) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start ``untxt`` processes on the test's database; all are killed at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def launch(*args: str, **env: str) -> subprocess.Popen[bytes]:
        process = start(list(args), pg_settings, UNTXT_DATABASE_URL=pg_settings.database_url, **env)
        started.append(process)
        return process

    yield launch
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
