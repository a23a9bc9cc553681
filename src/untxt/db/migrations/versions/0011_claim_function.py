"""The claim's pick on PostgreSQL: a function that walks the claim index in order.

The claim takes the first few queued tasks by priority, then age: the index
``ix_tasks_claim`` holds them in that order, so a claim reads a few entries however
many tasks wait. The planner chooses that walk only when its statistics say many
tasks are queued. On a new database, or when the statistics were taken while the
queue was nearly empty, it read every queued task instead and sorted them (1.2 ms
with 3,000 queued, against 0.04 ms), a cost that grows with the backlog it should
drain. The pick therefore runs as a function that turns bitmap scans and sorts off
for itself: the walk is then the plan whatever the statistics say.

It returns where the rows it locked are (``ctid``), so that the claim's update goes
straight to them: found by id, they were found by reading the whole table when the
planner thought it small (0.34 ms of a claim's 1 ms with 3,000 tasks). SQLite is
unchanged.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A function with settings of its own is never inlined into the calling statement,
# so they hold for its query alone; ``tasks`` is found on the caller's search path.
_CREATE = """
CREATE FUNCTION untxt_pick_tasks(ready_by timestamptz, wanted integer)
RETURNS SETOF tid
LANGUAGE sql VOLATILE
SET enable_bitmapscan = off
SET enable_sort = off
AS $$
    SELECT ctid FROM tasks
    WHERE status = 'queued' AND run_after <= ready_by
    ORDER BY priority DESC, id
    LIMIT wanted
    FOR UPDATE SKIP LOCKED
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION untxt_pick_tasks(timestamptz, integer)")
