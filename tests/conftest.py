"""Shared fixtures: settings in a temporary data dir, real SQLite and PostgreSQL, real engines."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import structlog
from fastapi.testclient import TestClient

from tests.seaweedfs import SeaweedFS, seaweedfs_server
from untxt.app import create_app
from untxt.config import Settings
from untxt.db import Database, upgrade
from untxt.engines import EngineRegistry
from untxt.storage import LocalBlobStore
from untxt.worker import Worker

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
PG_URL = os.environ.get("UNTXT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


# Tests that would see the others at work, which `make test` runs in parallel: marked
# to run alone, after the others (named here, so that the tests stay as they are). One
# restarts PostgreSQL under the others; the rest assert on notices of a channel that
# every schema of the database shares, where another test's event ids look like theirs.
_ALONE = frozenset(
    {
        "tests/integration/test_postgres_service.py::"
        "test_restarting_postgres_under_load_gives_503s_and_loses_no_accepted_job",
        "tests/queue/test_outbox.py::"
        "test_postgres_notifies_each_committed_event_id_and_no_rolled_back_one",
        "tests/queue/test_outbox.py::test_postgres_notifies_the_last_of_events_recorded_together",
        "tests/queue/test_batch.py::"
        "test_a_batch_announces_the_last_event_of_its_claim_and_of_its_completion",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        # Matched without the parameters: each of a test's databases runs alone.
        if item.nodeid.partition("[")[0] in _ALONE:
            item.add_marker(pytest.mark.alone)


@pytest.fixture(autouse=True)
def _logging_as_each_test_found_it(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Undo what a test's command did to logging (the CLI runs in this process).

    ``configure_logging`` makes each logger keep, from its first use on, the
    configuration of that moment, and points it at the runner's stderr, which closes
    after the command. Loggers that stayed so would write to a closed stream, or past
    a later test's ``capture_logs``, depending on which tests ran before.
    """
    saved = structlog.get_config()
    configure = structlog.configure

    def uncached(**settings: object) -> None:
        configure(**{**settings, "cache_logger_on_first_use": False})  # type: ignore[arg-type]

    monkeypatch.setattr(structlog, "configure", uncached)
    yield
    configure(**saved)


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for tests: no worker processes, quick polls and retries."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "workers": 0,
        "poll_interval": 0.05,
        "retry_base": 0.01,
        "retry_cap": 0.05,
        "worker_nice": 0,
        # Tests submit quickly from one client; tests of the limits set small ones.
        "rate_limit_submit": "100000/minute",
        "rate_limit_read": "100000/minute",
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture(scope="session")
def engines() -> Iterator[EngineRegistry]:
    """One engine registry for the session: Tesseract models load once."""
    registry = EngineRegistry(make_settings(Path("/nonexistent")))
    yield registry
    registry.close()


def postgres_schema_url() -> Iterator[str]:
    """A URL of a fresh, empty schema in the test PostgreSQL, dropped afterwards.

    Without a reachable server the test is skipped, except under CI (``CI=true``),
    where PostgreSQL is part of the contract and its absence fails the run.
    """
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL not reachable at {PG_URL}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        # A new connection: the test may have restarted the server meanwhile.
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=30) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'untxt.db'}"
    else:
        yield from postgres_schema_url()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    upgrade(database)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """One real SeaweedFS S3 server for the session (presigned URLs, encryption)."""
    with seaweedfs_server(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def storage(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
def client(settings: Settings, engines: EngineRegistry) -> Iterator[TestClient]:
    """The API on the embedded default (SQLite + local blobs), without worker processes."""
    app = create_app(settings, engines=engines)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def worker(client: TestClient, engines: EngineRegistry) -> Iterator[Worker]:
    """An in-test worker sharing the client's database, storage and engines."""
    state = client.app.state.untxt  # type: ignore[attr-defined]
    yield Worker(state.settings, db=state.db, storage=state.storage, engines=engines)


def drain(worker: Worker, limit: int = 100) -> int:
    """Run tasks until none is runnable; returns how many ran."""
    ran = 0
    while ran < limit and worker.run_once() is not None:
        ran += 1
    return ran
