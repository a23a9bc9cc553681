"""Download links the API signs: what they name, and what makes them fail."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from untxt.auth.sessions import issue_session
from untxt.storage.base import attachment
from untxt.storage.links import LinkError, LinkExpiredError, issue_link, link_key, read_link

SECRET = "the server's secret, as long as a generated one"
KEY = link_key(SECRET)


def make(now: datetime | None = None, ttl: timedelta = timedelta(hours=1)) -> str:
    token, _ = issue_link(
        key=KEY,
        job_id="job_1",
        owner="usr_a",
        format="text",
        now=now or datetime.now(UTC),
        ttl=ttl,
    )
    return token


def test_a_link_names_the_job_owner_format_and_its_expiry() -> None:
    now = datetime(2030, 5, 1, 12, 0, 0, 700_000, tzinfo=UTC)
    token, expires_at = issue_link(
        key=KEY, job_id="job_1", owner="usr_a", format="pdf", now=now, ttl=timedelta(days=7)
    )

    assert expires_at == datetime(2030, 5, 8, 12, 0, 0, tzinfo=UTC)
    claims = read_link(token, key=KEY)
    assert (claims.job_id, claims.owner, claims.format) == ("job_1", "usr_a", "pdf")
    assert claims.expires_at == expires_at


def test_a_link_past_its_time_is_expired() -> None:
    token = make(now=datetime.now(UTC) - timedelta(hours=2))

    with pytest.raises(LinkExpiredError, match="expired") as raised:
        read_link(token, key=KEY)
    assert (raised.value.status, raised.value.problem) == (403, "link-expired")


def test_a_link_with_any_part_changed_is_refused() -> None:
    token = make()
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    other = dict(claims, sub="job_2")
    other_payload = base64.urlsafe_b64encode(json.dumps(other).encode()).rstrip(b"=").decode()
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]

    for changed in (
        f"{header}.{other_payload}.{signature}",  # another job, same signature
        f"{header}.{payload}.{flipped}",
        token[:-1],
        "not-a-link",
    ):
        with pytest.raises(LinkError) as raised:
            read_link(changed, key=KEY)
        assert type(raised.value) is LinkError, changed
        assert raised.value.problem == "link-invalid"


def test_a_changed_link_is_refused_as_changed_even_when_also_expired() -> None:
    """The signature is checked first: an old link altered says 'not valid', not 'expired'."""
    header, payload, signature = make(now=datetime.now(UTC) - timedelta(days=1)).split(".")

    with pytest.raises(LinkError) as raised:
        read_link(f"{header}.{payload}.{signature[::-1]}", key=KEY)
    assert type(raised.value) is LinkError


def test_links_of_another_server_or_session_tokens_do_not_pass() -> None:
    """Another secret signs other links; a session token signed with the secret itself,
    or an unsigned token, is no link."""
    foreign = issue_link(
        key=link_key("another server's secret, as long as a generated one"),
        job_id="job_1",
        owner="usr_a",
        format="text",
        now=datetime.now(UTC),
        ttl=timedelta(hours=1),
    )[0]
    session, _ = issue_session(
        user_id="usr_a",
        signing_key=SECRET,
        ttl=timedelta(hours=1),
        now=datetime.now(UTC),
    )
    unsigned = jwt.encode(
        {"sub": "job_1", "own": "usr_a", "fmt": "text", "aud": "untxt-download", "exp": 2**40},
        None,
        algorithm="none",
    )
    for token in (foreign, session, unsigned):
        with pytest.raises(LinkError):
            read_link(token, key=KEY)


def test_the_download_name_is_kept_for_browsers_and_made_safe_for_others() -> None:
    assert attachment("scan 1.txt") == (
        "attachment; filename=\"scan 1.txt\"; filename*=UTF-8''scan%201.txt"
    )
    assert attachment('hóa "đơn".txt') == (
        'attachment; filename="h_a ___n_.txt"; '
        "filename*=UTF-8''h%C3%B3a%20%22%C4%91%C6%A1n%22.txt"
    )
