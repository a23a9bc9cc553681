"""ChangeWatch: SQLite's commit counter, seen from a connection of the watch's own."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import postgres_schema_url
from untxt.db import Database, upgrade
from untxt.db.changes import ChangeWatch
from untxt.queue.outbox import latest_event_id


@pytest.fixture
def sqlite(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'untxt.db'}")
    upgrade(database)
    return database


def _commit(db: Database) -> None:
    with db.write() as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS scratch (x INTEGER)"))
        session.execute(text("INSERT INTO scratch VALUES (1)"))


def test_the_first_look_counts_as_a_change_and_a_quiet_file_then_as_none(
    sqlite: Database,
) -> None:
    watch = ChangeWatch(sqlite)
    assert watch.changed()
    assert not watch.changed()
    with sqlite.read() as session:  # reading commits nothing
        latest_event_id(session)
    assert not watch.changed()


def test_a_commit_in_this_process_is_seen_once(sqlite: Database) -> None:
    watch = ChangeWatch(sqlite)
    watch.changed()
    _commit(sqlite)
    assert watch.changed()
    assert not watch.changed()


def test_a_commit_in_another_process_is_seen(sqlite: Database) -> None:
    watch = ChangeWatch(sqlite)
    watch.changed()
    path = sqlite.url.database
    script = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1])\n"
        "c.execute('CREATE TABLE elsewhere (x INTEGER)')\n"
        "c.commit()\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True)
    assert watch.changed()
    assert not watch.changed()


def test_a_closed_watch_counts_its_next_look_as_a_change(sqlite: Database) -> None:
    watch = ChangeWatch(sqlite)
    watch.changed()
    watch.close()
    assert watch.changed()


def test_a_file_that_cannot_be_opened_counts_as_a_change(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'gone' / 'untxt.db'}")
    upgrade(database)
    watch = ChangeWatch(database)
    watch.changed()
    watch.close()
    database.dispose()
    shutil.rmtree(tmp_path / "gone")
    assert watch.changed()
    assert watch.changed()


@pytest.mark.postgres
def test_without_a_commit_counter_every_look_counts_as_a_change() -> None:
    for url in postgres_schema_url():
        watch = ChangeWatch(Database(url))
        assert watch.changed()
        assert watch.changed()
