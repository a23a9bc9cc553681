"""``/v1/audit``: the audit log, for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from untxt.api.deps import NO_CONTROL_CHARACTERS, AdminDep, StateDep
from untxt.api.schemas import MAX_ROW_ID, ListOut
from untxt.auth import audit
from untxt.db.models import AuditEventRow

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class AuditEventOut(BaseModel):
    """One logged action."""

    id: str
    created_at: datetime
    actor: str | None = Field(
        description="User id; local in single-user mode; cli for the command line; "
        "null when nobody was signed in (a failed login)."
    )
    actor_email: str | None
    action: str
    target: str | None = Field(description="Id of what the action was done to.")
    ip: str | None = Field(description="The client's address.")
    detail: dict[str, Any] | None

    @classmethod
    def of(cls, row: AuditEventRow) -> AuditEventOut:
        return cls(
            id=str(row.id),
            created_at=row.created_at,
            actor=row.actor,
            actor_email=row.actor_email,
            action=row.action,
            target=row.target,
            ip=row.ip,
            detail=row.detail,
        )


@router.get("", response_model=ListOut[AuditEventOut])
def list_audit_events(
    state: StateDep,
    _: AdminDep,
    action: Annotated[
        str | None,
        Query(description="Only this action, e.g. auth.login", pattern=NO_CONTROL_CHARACTERS),
    ] = None,
    actor: Annotated[
        str | None, Query(description="Only this actor (a user id)", pattern=NO_CONTROL_CHARACTERS)
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        # Ids are 64-bit: a larger cursor would overflow the database's integer.
        int | None, Query(ge=1, le=MAX_ROW_ID, description="next_cursor of the previous page")
    ] = None,
) -> ListOut[AuditEventOut]:
    """The audit log, newest first (admins only)."""
    with state.db.read() as session:
        rows = audit.list_events(session, limit=limit, before=cursor, action=action, actor=actor)
    # Ids here are integers; the cursor, like every other, is passed on as text.
    cursor_out = str(rows[-1].id) if len(rows) == limit else None
    return ListOut[AuditEventOut](
        items=[AuditEventOut.of(row) for row in rows], next_cursor=cursor_out
    )
