"""Database access: models, the per-process handle, migrations."""

from untxt.db.migrate import upgrade
from untxt.db.session import Database

__all__ = ["Database", "upgrade"]
