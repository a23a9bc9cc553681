"""Apply the Alembic migrations shipped inside the package."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from untxt.db.session import Database

# Any constant: the key of the advisory lock that serialises migrations on PostgreSQL.
_MIGRATION_LOCK = 0x756E747874


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", "untxt.db:migrations")
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    """Migrate the database to ``revision``; safe when several processes start at once."""
    config = alembic_config()
    # The write engine: on SQLite BEGIN IMMEDIATE serialises concurrent upgraders.
    with db.write() as session:
        connection = session.connection()
        if db.dialect == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(db: Database) -> str | None:
    """The revision the database is at, or ``None`` before the first migration."""
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of untxt."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
