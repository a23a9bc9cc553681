"""``untxt cleanup``: retention from the command line, against a real database and data dir."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.retention_helpers import (
    DAY,
    add_doc,
    count_rows,
    document_ids,
    job_blob_keys,
    job_ids,
    job_on,
    put_blob,
)
from untxt.cli import app
from untxt.db import Database
from untxt.db.types import utcnow
from untxt.storage import LocalBlobStore

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def invoke(db_url: str, data_dir: Path, *args: str, retention: str = "30d") -> tuple[int, str]:
    """Run ``untxt cleanup --data-dir`` on the test database; returns exit code and output."""
    result = runner.invoke(
        app,
        ["cleanup", "--data-dir", str(data_dir), *args],
        env={"UNTXT_DATABASE_URL": db_url, "UNTXT_RETENTION": retention},
    )
    return result.exit_code, result.output


def seed(db: Database, data_dir: Path) -> tuple[str, str, list[str]]:
    """An expired job with its document and blobs, and a young job; returns
    (expired job, young job, the expired job's blob keys)."""
    storage = LocalBlobStore(data_dir / "blobs")
    now = utcnow()
    old_doc = add_doc(db, now - 40 * DAY)
    old = job_on(db, old_doc, now - 40 * DAY, "completed")
    young = job_on(db, add_doc(db, now - DAY), now - DAY, "completed")
    keys = [old_doc.blob_key, *job_blob_keys(db, old)]
    for key in keys:
        put_blob(storage, key, now - 40 * DAY)
    return old, young, keys


def test_dry_run_reports_counts_and_deletes_nothing(
    db: Database, db_url: str, data_dir: Path
) -> None:
    """``--dry-run`` says what would go; the rows and blobs are all still there."""
    old, young, keys = seed(db, data_dir)
    rows = count_rows(db)

    code, output = invoke(db_url, data_dir, "--older-than", "30d", "--dry-run")

    assert code == 0, output
    assert "would delete: 1 jobs, 1 documents, 3 blobs (12 bytes)" in output
    assert count_rows(db) == rows
    assert job_ids(db) == {old, young}
    storage = LocalBlobStore(data_dir / "blobs")
    assert all(storage.exists(key) for key in keys)


def test_cleanup_deletes_what_is_older_than_asked(
    db: Database, db_url: str, data_dir: Path
) -> None:
    """Without ``--dry-run`` the expired job, its document and blobs go; the young job stays."""
    _old, young, keys = seed(db, data_dir)
    documents = document_ids(db)

    code, output = invoke(db_url, data_dir, "--older-than", "30d")

    assert code == 0, output
    assert "deleted: 1 jobs, 1 documents, 3 blobs" in output
    assert job_ids(db) == {young}
    assert len(document_ids(db)) == len(documents) - 1
    storage = LocalBlobStore(data_dir / "blobs")
    assert not any(storage.exists(key) for key in keys)


def test_the_age_defaults_to_the_retention_setting(
    db: Database, db_url: str, data_dir: Path
) -> None:
    """With no ``--older-than``, ``UNTXT_RETENTION`` decides: 12h reaches the day-old job too."""
    seed(db, data_dir)

    code, output = invoke(db_url, data_dir, "--dry-run", retention="12h")

    assert code == 0, output
    assert "would delete: 2 jobs, 2 documents" in output


@pytest.mark.parametrize(
    ("args", "retention", "message"),
    [
        (["--older-than", "30x"], "30d", "invalid duration '30x'"),
        (["--older-than", "30"], "30d", "whole number and a unit"),
        (["--older-than", "off"], "30d", "above zero"),
        ([], "off", "retention is off"),
    ],
)
def test_bad_or_missing_ages_are_refused(
    db: Database, db_url: str, data_dir: Path, args: list[str], retention: str, message: str
) -> None:
    """A duration it cannot read, or none at all, stops it before it deletes anything."""
    old, young, _ = seed(db, data_dir)

    code, output = invoke(db_url, data_dir, *args, retention=retention)

    assert code == 1
    assert message in " ".join(output.split())
    assert job_ids(db) == {old, young}
