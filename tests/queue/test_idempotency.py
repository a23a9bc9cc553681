"""Idempotency keys in the queue: claim, answer, per owner, expiry, retention."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.queue.helpers import OWNER, later
from untxt.db import Database
from untxt.db.types import utcnow
from untxt.queue import delete_expired_idempotency_keys
from untxt.queue.idempotency import StoredAnswer, claim_key, store_answer

TTL = 60.0


def _claim(
    db: Database, now: datetime, *, key: str = "k1", fingerprint: str = "f1", owner: str = OWNER
) -> StoredAnswer | None:
    """Claim ``key`` and, if it is new, answer it with a body naming ``fingerprint``."""
    with db.write() as session:
        stored = claim_key(
            session,
            owner=owner,
            key=key,
            fingerprint=fingerprint,
            now=now,
            expired_before=later(now, -TTL),
        )
        if stored is None:
            store_answer(
                session,
                owner=owner,
                key=key,
                status_code=202,
                body=f'{{"for": "{fingerprint}"}}',
                location=f"/v1/jobs/{fingerprint}",
            )
        return stored


def test_a_new_key_is_claimed_and_then_answers(db: Database) -> None:
    now = utcnow()

    assert _claim(db, now) is None
    again = _claim(db, later(now, 1), fingerprint="f2")

    assert again == StoredAnswer("f1", 202, '{"for": "f1"}', "/v1/jobs/f1")


def test_keys_belong_to_their_owner(db: Database) -> None:
    now = utcnow()

    assert _claim(db, now, owner="alice") is None
    assert _claim(db, now, owner="bob") is None
    stored = _claim(db, now, owner="bob")
    assert stored is not None


def test_a_rolled_back_claim_leaves_the_key_free(db: Database) -> None:
    now = utcnow()
    with pytest.raises(RuntimeError), db.write() as session:
        claim_key(session, owner=OWNER, key="k1", fingerprint="f1", now=now, expired_before=now)
        raise RuntimeError("the submit failed")

    assert _claim(db, now, fingerprint="f2") is None
    stored = _claim(db, now)
    assert stored is not None and stored.fingerprint == "f2"


def test_an_expired_key_is_taken_over(db: Database) -> None:
    now = utcnow()
    _claim(db, now)

    assert _claim(db, later(now, TTL + 1), fingerprint="f2") is None
    stored = _claim(db, later(now, TTL + 2), fingerprint="f3")
    assert stored is not None and stored.fingerprint == "f2"


def test_retention_deletes_only_keys_used_before_the_cutoff(db: Database) -> None:
    now = utcnow()
    _claim(db, now, key="old")
    _claim(db, later(now, 10), key="new")

    with db.write() as session:
        deleted = delete_expired_idempotency_keys(session, before=later(now, 5))

    assert deleted == 1
    assert _claim(db, later(now, 11), key="old", fingerprint="f2") is None
    assert _claim(db, later(now, 11), key="new", fingerprint="f2") is not None
