"""The claim's pick keeps its plan: ``untxt_pick_tasks`` in PL/pgSQL rather than SQL.

PostgreSQL parses and plans the body of a SQL function that it cannot inline (this
one has settings of its own, see 0011) at every call: 135 µs of the server's CPU a
claim above a bare ``SELECT 1``, against 85 µs for the same query in PL/pgSQL, which
keeps its plan for the session (measured with 3,000 queued tasks, 2,000 calls each,
bench/README.md). The query, its settings and what it returns are unchanged; a plan
made again (after a change of the table, or of the search path) is made under the
same settings, so it is still the walk of the claim index.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import runpy
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REPLACE = """
CREATE OR REPLACE FUNCTION untxt_pick_tasks(ready_by timestamptz, wanted integer)
RETURNS SETOF tid
LANGUAGE plpgsql VOLATILE
SET enable_bitmapscan = off
SET enable_sort = off
AS $$
BEGIN
    RETURN QUERY
    SELECT ctid FROM tasks
    WHERE status = 'queued' AND run_after <= ready_by
    ORDER BY priority DESC, id
    LIMIT wanted
    FOR UPDATE SKIP LOCKED;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_REPLACE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Alembic loads revisions by path, not as modules of a package.
        create = runpy.run_path(str(Path(__file__).with_name("0011_claim_function.py")))["_CREATE"]
        op.execute(create.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
