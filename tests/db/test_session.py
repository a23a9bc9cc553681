"""The database handle's sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from untxt.db.session import Database


def _driver_connection(session: Session) -> Any:
    return session.connection().connection.dbapi_connection


def test_on_sqlite_the_connection_used_last_serves_the_next_session(tmp_path: Path) -> None:
    """SQLite's page cache is per connection: the warm one goes first."""
    db = Database(f"sqlite:///{tmp_path / 'untxt.db'}")
    try:
        with db.read() as one, db.read() as two:  # two connections in the pool
            assert _driver_connection(one) is not _driver_connection(two)
        with db.write() as session:
            session.execute(text("CREATE TABLE t (x INTEGER)"))
            used = _driver_connection(session)
        for _ in range(3):
            with db.write() as session:
                session.execute(text("INSERT INTO t VALUES (1)"))
                assert _driver_connection(session) is used
            with db.read() as session:
                assert _driver_connection(session) is used
    finally:
        db.dispose()
