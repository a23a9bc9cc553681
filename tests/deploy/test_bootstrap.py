"""deploy/docker/bootstrap.py, the one-off step before the pods or containers start:
on a real PostgreSQL and a real S3 server, and harmless when run again."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import postgres_schema_url
from tests.deploy.chart import ROOT
from tests.s3 import CREDENTIALS, moto_server, s3_client
from untxt.auth.users import list_users
from untxt.db import Database

BOOTSTRAP = ROOT / "deploy" / "docker" / "bootstrap.py"

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from postgres_schema_url()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


def bootstrap(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the script as the image does: the service's Python, settings from ``env`` only."""
    return subprocess.run(
        [sys.executable, str(BOOTSTRAP), *args],
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"), **CREDENTIALS, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_it_makes_the_bucket_the_schema_and_the_first_admin_once(
    pg_url: str, s3_endpoint: str
) -> None:
    env = {
        "UNTXT_DATABASE_URL": pg_url,
        "UNTXT_STORAGE_URL": "s3://bootstrap-test/files",
        "UNTXT_S3_ENDPOINT_URL": s3_endpoint,
        "UNTXT_ADMIN_EMAIL": "ops@example.com",
    }
    first = bootstrap("--create-bucket", **env)
    assert first.returncode == 0, first.stderr
    assert "bucket bootstrap-test created" in first.stderr
    assert "database at revision" in first.stdout
    assert "admin ops@example.com created" in first.stderr
    s3_client(s3_endpoint).head_bucket(Bucket="bootstrap-test")

    # Again, with another address: nothing is made twice, and no second admin.
    again = bootstrap("--create-bucket", **{**env, "UNTXT_ADMIN_EMAIL": "other@example.com"})
    assert again.returncode == 0, again.stderr
    assert "bucket bootstrap-test exists" in again.stderr
    assert "users exist; no admin created" in again.stderr
    db = Database(pg_url)
    try:
        with db.read() as session:
            users = list_users(session, limit=10)
    finally:
        db.dispose()
    assert [(user.email, user.role) for user in users] == [("ops@example.com", "admin")]


def test_it_gives_up_with_the_reason_when_the_database_never_answers() -> None:
    done = bootstrap("--wait", "0", UNTXT_DATABASE_URL="postgresql://nobody@127.0.0.1:1/untxt")
    assert done.returncode == 1
    assert "bootstrap: migrations failed" in done.stderr
