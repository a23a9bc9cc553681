"""API keys in the database: format, hashing, revocation, expiry, the last-use write."""

from __future__ import annotations

from datetime import timedelta

from untxt.auth import create_api_key, create_user
from untxt.auth.keys import authenticate_key, key_prefix, revoke_api_key, touch_api_key
from untxt.db import Database
from untxt.db.models import ApiKeyRow
from untxt.db.types import utcnow


def _user_key(db: Database, **kwargs: object) -> tuple[ApiKeyRow, str]:
    with db.write() as session:
        user = create_user(session, email="k@example.com")
        return create_api_key(session, user_id=user.id, **kwargs)  # type: ignore[arg-type]


def test_a_key_has_a_public_prefix_and_a_long_secret(db: Database) -> None:
    row, raw = _user_key(db, name="ci")

    scheme, prefix, secret = raw.split("_", 2)
    assert (scheme, prefix) == ("untxt", row.prefix)
    assert len(secret) >= 43  # 256 bits, base64url
    assert key_prefix(raw) == row.prefix
    assert row.name == "ci"


def test_two_keys_never_share_a_prefix_or_secret(db: Database) -> None:
    with db.write() as session:
        user = create_user(session, email="many@example.com")
        made = [create_api_key(session, user_id=user.id) for _ in range(20)]

    assert len({row.prefix for row, _ in made}) == 20
    assert len({raw for _, raw in made}) == 20


def test_only_the_exact_live_key_authenticates(db: Database) -> None:
    row, raw = _user_key(db)
    now = utcnow()

    with db.read() as session:
        found = authenticate_key(session, raw=raw, now=now)
        wrong = authenticate_key(session, raw=raw[:-1] + ("x" if raw[-1] != "x" else "y"), now=now)
        junk = authenticate_key(session, raw="untxt_nothex!!!!!!_" + "a" * 43, now=now)
    assert found is not None and found[0].id == row.id and found[1].email == "k@example.com"
    assert wrong is None and junk is None


def test_revoked_and_expired_keys_do_not_authenticate(db: Database) -> None:
    now = utcnow()
    expiring, expiring_raw = _user_key(db, expires_at=now + timedelta(minutes=5))
    with db.write() as session:
        revoke_api_key(session, key_id=expiring.id, user_id=None, now=now)

    with db.read() as session:
        assert authenticate_key(session, raw=expiring_raw, now=now) is None

    with db.write() as session:
        _, other_raw = create_api_key(
            session, user_id=expiring.user_id, expires_at=now + timedelta(minutes=5)
        )
    with db.read() as session:
        assert authenticate_key(session, raw=other_raw, now=now) is not None
        assert authenticate_key(session, raw=other_raw, now=now + timedelta(minutes=5)) is None


def test_touching_a_key_writes_at_most_once_a_minute(db: Database) -> None:
    row, _ = _user_key(db)
    start = utcnow()

    def last_used() -> object:
        with db.read() as session:
            return session.get(ApiKeyRow, row.id).last_used_at  # type: ignore[union-attr]

    with db.write() as session:
        touch_api_key(session, key_id=row.id, now=start)
    with db.write() as session:
        touch_api_key(session, key_id=row.id, now=start + timedelta(seconds=59))
    assert last_used() == start
    with db.write() as session:
        touch_api_key(session, key_id=row.id, now=start + timedelta(seconds=60))
    assert last_used() == start + timedelta(seconds=60)
