"""Usage by owner and UTC day, counted by the database (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from tests.queue.helpers import make_job
from untxt.auth import create_user
from untxt.db import Database
from untxt.db.models import JobRow
from untxt.queue.usage import DailyUsage, owner_emails, usage_by_day

MARCH_1 = datetime(2030, 3, 1, tzinfo=UTC)


def finish(db: Database, job_id: str, status: str, pages_done: int) -> None:
    with db.write() as session:
        session.execute(
            update(JobRow).where(JobRow.id == job_id).values(status=status, pages_done=pages_done)
        )


def test_jobs_pages_and_bytes_are_summed_per_owner_and_utc_day(db: Database) -> None:
    """Jobs count on the UTC day they were submitted, up to the last microsecond of it."""
    late = make_job(db, MARCH_1 + timedelta(hours=23, minutes=59, seconds=59.999), pages=3)
    early = make_job(db, MARCH_1 + timedelta(days=1), pages=2)
    same_day = make_job(db, MARCH_1 + timedelta(days=1, hours=5), pages=4)
    make_job(db, MARCH_1 + timedelta(days=1), owner="bob", pages=1)
    finish(db, late, "completed", 3)
    finish(db, early, "failed", 1)
    finish(db, same_day, "completed", 4)

    with db.read() as session:
        alice = usage_by_day(session, owner="alice", first=date(2030, 3, 1), last=date(2030, 3, 2))
        everyone = usage_by_day(session, owner=None, first=date(2030, 3, 1), last=date(2030, 3, 2))

    assert alice == [
        DailyUsage("alice", date(2030, 3, 1), jobs=1, completed=1, failed=0, pages=3, bytes=1234),
        DailyUsage("alice", date(2030, 3, 2), jobs=2, completed=1, failed=1, pages=5, bytes=2468),
    ]
    assert everyone == [
        *alice,
        DailyUsage("bob", date(2030, 3, 2), jobs=1, completed=0, failed=0, pages=0, bytes=1234),
    ]


def test_only_days_within_the_span_count(db: Database) -> None:
    make_job(db, MARCH_1 - timedelta(microseconds=1))
    make_job(db, MARCH_1)
    make_job(db, MARCH_1 + timedelta(days=1))

    with db.read() as session:
        one_day = usage_by_day(session, owner=None, first=date(2030, 3, 1), last=date(2030, 3, 1))
        nothing = usage_by_day(session, owner=None, first=date(2031, 1, 1), last=date(2031, 1, 31))

    assert [(u.day, u.jobs) for u in one_day] == [(date(2030, 3, 1), 1)]
    assert nothing == []


def test_the_day_is_the_utc_day_whatever_the_database_sessions_zone(db: Database) -> None:
    """PostgreSQL sessions in a zone 14 hours ahead still count by UTC day."""
    make_job(db, MARCH_1 + timedelta(hours=20))
    ahead = db
    if db.dialect == "postgresql":
        ahead = Database(
            f"{db.url.render_as_string(hide_password=False)}%20-ctimezone%3DEtc/GMT-14"
        )
    try:
        with ahead.read() as session:
            rows = usage_by_day(session, owner=None, first=date(2030, 3, 1), last=date(2030, 3, 2))
    finally:
        if ahead is not db:
            ahead.dispose()

    assert [(u.day, u.jobs) for u in rows] == [(date(2030, 3, 1), 1)]


def test_owners_who_are_users_are_named_by_their_email(db: Database) -> None:
    with db.write() as session:
        user = create_user(session, email="alice@example.com", role="user")
    with db.read() as session:
        emails = owner_emails(session, [user.id, "local"])
        none = owner_emails(session, [])

    assert emails == {user.id: "alice@example.com"}
    assert none == {}
