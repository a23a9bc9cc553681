"""Idempotency keys: claimed in a submit's own transaction, answered from, expired.

A submit that carries a key claims it first thing in the transaction that
creates its jobs, and stores its answer in the same transaction; so a key is
either unknown or comes with the answer to replay. Claiming is an
``INSERT ... ON CONFLICT DO NOTHING`` on the ``(owner, key)`` primary key: on
PostgreSQL a second request with the same new key waits in that insert until
the first commits (and then finds its answer) or rolls back (and then claims
the key itself); on SQLite write transactions run one at a time anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from untxt.db.models import IdempotencyKeyRow, table_of
from untxt.db.session import DIALECT_INSERTS

_TABLE = table_of(IdempotencyKeyRow)
_KEY = (_TABLE.c.owner, _TABLE.c.key)
_SELECT = select(
    _TABLE.c.fingerprint,
    _TABLE.c.status_code,
    _TABLE.c.body,
    _TABLE.c.location,
    _TABLE.c.created_at,
)
# A round repeats only when another transaction deleted or took over the key
# between two statements of this one; the next round then settles it.
_CLAIM_ROUNDS = 3


@dataclass(frozen=True)
class StoredAnswer:
    """The answer given to the request that first used a key, and what that request asked."""

    fingerprint: str
    status_code: int
    body: str
    location: str | None


@cache
def _claim(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (owner, key) DO NOTHING RETURNING key``, built once per dialect."""
    return (
        DIALECT_INSERTS[dialect](_TABLE)
        .on_conflict_do_nothing(index_elements=list(_KEY))
        .returning(_TABLE.c.key)
    )


def _where_key(owner: str, key: str) -> Any:
    return (_TABLE.c.owner == owner) & (_TABLE.c.key == key)


def claim_key(
    session: Session,
    *,
    owner: str,
    key: str,
    fingerprint: str,
    now: datetime,
    expired_before: datetime,
) -> StoredAnswer | None:
    """Claim ``key`` for this request, or return the answer stored under it.

    ``None`` means the key is this request's (new, or its earlier use expired
    before ``expired_before``): create what the request asks, then
    :func:`store_answer`, all in this transaction.
    """
    values = {
        "owner": owner,
        "key": key,
        "fingerprint": fingerprint,
        "status_code": None,
        "body": None,
        "location": None,
        "created_at": now,
    }
    claim = _claim(session.get_bind().dialect.name)
    for _ in range(_CLAIM_ROUNDS):
        if session.execute(claim, values).first() is not None:
            return None
        row = session.execute(_SELECT.where(_where_key(owner, key))).first()
        if row is None:
            continue  # deleted between the insert and the select: claim it again
        if row.created_at >= expired_before:
            if row.status_code is None or row.body is None:
                raise RuntimeError(f"idempotency key {key!r} was committed without an answer")
            return StoredAnswer(row.fingerprint, row.status_code, row.body, row.location)
        # Expired but not deleted yet: take it over, unless a concurrent request just
        # did (then the condition fails once that one commits, and the loop reads its answer).
        taken = session.execute(
            update(_TABLE)
            .where(_where_key(owner, key), _TABLE.c.created_at < expired_before)
            .values(
                fingerprint=fingerprint, status_code=None, body=None, location=None, created_at=now
            )
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return None
    raise RuntimeError(f"idempotency key {key!r} changed under {_CLAIM_ROUNDS} claims in a row")


def store_answer(
    session: Session, *, owner: str, key: str, status_code: int, body: str, location: str | None
) -> None:
    """Keep the answer to the request that claimed ``key``, in the same transaction."""
    session.execute(
        update(_TABLE)
        .where(_where_key(owner, key))
        .values(status_code=status_code, body=body, location=location)
    )


def delete_expired_idempotency_keys(session: Session, *, before: datetime) -> int:
    """Forget keys first used before ``before``; returns how many went."""
    result = session.execute(delete(_TABLE).where(_TABLE.c.created_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
