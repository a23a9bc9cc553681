"""The audit log: who did what, to which thing, when and from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from untxt.db.models import AuditEventRow, table_of
from untxt.db.types import utcnow

_INSERT = insert(table_of(AuditEventRow))

#: Actions written to the log; docs/security.md lists them.
ACTIONS = (
    "auth.login",
    "auth.login_failed",
    "auth.logout",
    "user.create",
    "api_key.create",
    "api_key.revoke",
    "document.delete",
    "job.delete",
    "ask.question",
)


def record(
    session: Session,
    *,
    action: str,
    actor: str | None,
    actor_email: str | None = None,
    target: str | None = None,
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Append one event, in the caller's transaction: it is logged if and only if it happened."""
    session.execute(
        _INSERT,
        {
            "created_at": now or utcnow(),
            "actor": actor,
            "actor_email": actor_email,
            "action": action,
            "target": target,
            "ip": ip,
            "detail": detail,
        },
    )


def list_events(
    session: Session,
    *,
    limit: int = 50,
    before: int | None = None,
    action: str | None = None,
    actor: str | None = None,
) -> list[AuditEventRow]:
    """Events, newest first; ``before`` is the last id of the previous page."""
    query = select(AuditEventRow)
    if before is not None:
        query = query.where(AuditEventRow.id < before)
    if action:
        query = query.where(AuditEventRow.action == action)
    if actor:
        query = query.where(AuditEventRow.actor == actor)
    return list(session.scalars(query.order_by(AuditEventRow.id.desc()).limit(limit)))
