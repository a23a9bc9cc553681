"""Session tokens: signed, audience-bound, expiring, carrying the CSRF token."""

from __future__ import annotations

from datetime import timedelta

import jwt

from untxt.auth.sessions import issue_session, read_session
from untxt.db.types import utcnow

KEY = "k" * 48


def test_a_token_reads_back_as_its_claims() -> None:
    token, claims = issue_session(user_id="usr_1", signing_key=KEY, ttl=timedelta(hours=1),
                                  now=utcnow())  # fmt: skip

    read = read_session(token, signing_key=KEY)

    assert read == claims
    assert read is not None and read.user_id == "usr_1" and len(read.csrf) >= 32


def test_a_token_signed_with_another_key_is_refused() -> None:
    token, _ = issue_session(user_id="usr_1", signing_key=KEY, ttl=timedelta(hours=1),
                             now=utcnow())  # fmt: skip

    assert read_session(token, signing_key="other" * 10) is None


def test_an_expired_token_is_refused() -> None:
    token, _ = issue_session(
        user_id="usr_1",
        signing_key=KEY,
        ttl=timedelta(minutes=5),
        now=utcnow() - timedelta(hours=1),
    )

    assert read_session(token, signing_key=KEY) is None


def test_unsigned_and_foreign_tokens_are_refused() -> None:
    """``alg: none`` and a JWT minted for another audience do not pass."""
    claims = {"sub": "usr_1", "exp": 4_000_000_000, "csrf": "x", "aud": "untxt-session"}
    unsigned = jwt.encode(claims, None, algorithm="none")
    other_audience = jwt.encode({**claims, "aud": "elsewhere"}, KEY, algorithm="HS256")
    no_csrf = jwt.encode({k: v for k, v in claims.items() if k != "csrf"}, KEY, algorithm="HS256")

    assert read_session(unsigned, signing_key=KEY) is None
    assert read_session(other_audience, signing_key=KEY) is None
    assert read_session(no_csrf, signing_key=KEY) is None
    assert read_session("not a token", signing_key=KEY) is None
