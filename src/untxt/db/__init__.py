"""Database access: models, the per-process handle, migrations, and the tables that are
not the queue's.

- :mod:`untxt.db.models`, :mod:`untxt.db.types`: tables and column types (and
  :func:`untxt.db.types.utc_param`, how a prebuilt statement binds a time)
- :mod:`untxt.db.session`, :mod:`untxt.db.writelock`, :mod:`untxt.db.changes`: the
  per-process handle, SQLite's writer lock, a cheap test of change
- :mod:`untxt.db.migrate`: Alembic migrations shipped in the package
- :mod:`untxt.db.documents`: uploads, stored once per owner and content hash
- :mod:`untxt.db.extractions`, :mod:`untxt.db.field_totals`, :mod:`untxt.db.templates`:
  extracted fields and their corrections, sums over them, owners' templates
"""

from untxt.db.migrate import upgrade
from untxt.db.session import Database

__all__ = ["Database", "upgrade"]
