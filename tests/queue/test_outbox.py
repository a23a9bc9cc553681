"""The outbox: every job state change writes exactly one event, in its own transaction."""

from __future__ import annotations

import contextlib
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from sqlalchemy import select, update

from tests.queue.helpers import (
    OWNER,
    POLICY,
    TTL,
    fanned_out,
    finish_job,
    finish_page,
    job_row,
    later,
    make_job,
    must_claim,
    reap,
    subscribe,
)
from untxt.db import Database
from untxt.db.documents import add_document
from untxt.db.models import EventRow, WebhookDeliveryRow, WebhookSubscriptionRow
from untxt.db.types import utcnow
from untxt.errors import ConflictError
from untxt.options import JobOptions
from untxt.queue import Outcome, fail_task
from untxt.queue.batches import create_batch
from untxt.queue.cache import options_fingerprint
from untxt.queue.jobs import cancel_job, enqueue_job
from untxt.queue.outbox import (
    EVENTS_CHANNEL,
    latest_event_id,
    on_commit,
    read_events,
    record_event,
)
from untxt.queue.outbox_many import record_events
from untxt.queue.statements import JOB_EVENT_COLUMNS

#: What the helpers' finished jobs store, so that a repeat can be served from the cache.
OPTIONS = JobOptions(outputs=["json", "text"])


def _events(db: Database, job_id: str) -> list[tuple[str, str, int]]:
    """(type, status in the payload, pages_done) of the job's events, oldest first."""
    with db.read() as session:
        rows = read_events(session, owner=None, job_id=job_id)
    return [
        (r.type, r.data["data"]["status"], r.data["data"]["progress"]["pages_done"]) for r in rows
    ]


def _types(db: Database, job_id: str) -> list[str]:
    return [t for t, _, _ in _events(db, job_id)]


def test_submit_writes_a_queued_event_with_the_whole_payload(db: Database) -> None:
    """The queued event carries the job as the submit created it, and an ISO timestamp."""
    now = utcnow()
    job_id = make_job(db, now, pages=2)
    with db.read() as session:
        (event,) = read_events(session, owner=OWNER, job_id=job_id)
    job = job_row(db, job_id)
    assert (event.type, event.job_id, event.owner, event.document_id) == (
        "job.queued",
        job_id,
        OWNER,
        job.document_id,
    )
    assert event.data == {
        "type": "job.queued",
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "data": {
            "job_id": job_id,
            "document_id": job.document_id,
            "owner": OWNER,
            "status": "queued",
            "progress": {"pages_done": 0, "pages_total": 2},
            "created_at": now.isoformat().replace("+00:00", "Z"),
            "updated_at": now.isoformat().replace("+00:00", "Z"),
        },
    }


def test_a_job_run_by_two_workers_has_one_processing_event_and_progress_per_page(
    db: Database,
) -> None:
    """queued, processing (first claim only), one progress per page, completed with results."""
    now = utcnow()
    job_id = make_job(db, now, pages=3)
    leases = [must_claim(db, f"w{i}", now) for i in range(3)]
    for lease in leases[:2]:
        assert finish_page(db, lease, now).outcome is Outcome.DONE
    done = finish_page(db, leases[2], now)
    assert done.outcome is Outcome.ASSEMBLE and done.assemble is not None
    assert finish_job(db, done.assemble, now) is Outcome.DONE
    assert _events(db, job_id) == [
        ("job.queued", "queued", 0),
        ("job.processing", "processing", 0),
        ("job.progress", "processing", 1),
        ("job.progress", "processing", 2),
        ("job.progress", "processing", 3),
        ("job.completed", "completed", 3),
    ]
    with db.read() as session:
        completed = read_events(session, owner=OWNER, job_id=job_id)[-1]
    assert completed.data["data"]["results"] == {
        "json": f"/v1/jobs/{job_id}/result?format=json",
        "text": f"/v1/jobs/{job_id}/result?format=text",
    }
    assert "error" not in completed.data["data"]


def test_a_repeated_submit_served_from_the_cache_is_queued_then_completed(db: Database) -> None:
    """A result-cache hit completes at once, and says so in two events in order."""
    now = utcnow()
    with db.write() as session:
        document, _ = add_document(
            session,
            owner=OWNER,
            sha256="cd" * 32,
            filename="a.png",
            media_type="image/png",
            size=10,
            pages=1,
            now=now,
        )
        first = enqueue_job(
            session, owner=OWNER, document=document, options=OPTIONS, max_attempts=3, now=now
        ).id
    lease = must_claim(db, "w1", now)
    done = finish_page(db, lease, now)
    assert done.assemble is not None
    assert finish_job(db, done.assemble, now) is Outcome.DONE
    with db.write() as session:
        second = enqueue_job(
            session, owner=OWNER, document=document, options=OPTIONS, max_attempts=3, now=now
        )
    assert second.status == "completed" and second.id != first
    assert _events(db, second.id) == [
        ("job.queued", "queued", 0),
        ("job.completed", "completed", 1),
    ]
    with db.read() as session:
        completed = read_events(session, owner=OWNER, job_id=second.id)[-1]
    assert set(completed.data["data"]["results"]) == {"json", "text"}


def test_cancelling_a_queued_job_writes_one_cancelled_event_however_often_asked(
    db: Database,
) -> None:
    """The second cancel is a no-op and writes nothing."""
    now = utcnow()
    job_id = make_job(db, now, pages=2)
    for _ in range(2):
        with db.write() as session:
            cancel_job(session, owner=OWNER, job_id=job_id, now=now)
    assert _events(db, job_id) == [("job.queued", "queued", 0), ("job.cancelled", "cancelled", 0)]


def test_cancelling_a_running_job_writes_its_event_when_the_running_page_lets_go(
    db: Database,
) -> None:
    """A cancel request changes no status and writes nothing; the settle writes cancelled."""
    now = utcnow()
    job_id = make_job(db, now, pages=2)
    lease = must_claim(db, "w1", now)
    with db.write() as session:
        assert cancel_job(session, owner=OWNER, job_id=job_id, now=now).status == "processing"
    assert _types(db, job_id) == ["job.queued", "job.processing"]
    assert finish_page(db, lease, now).outcome is Outcome.CANCELLED
    assert _events(db, job_id)[2:] == [
        ("job.progress", "processing", 1),
        ("job.cancelled", "cancelled", 1),
    ]


def test_a_job_failed_by_one_page_writes_one_failed_event_with_its_error(db: Database) -> None:
    """The page failing after the job ended is fenced out and writes nothing more."""
    now = utcnow()
    job_id = make_job(db, now, pages=2)
    first, second = must_claim(db, "w1", now), must_claim(db, "w2", now)
    with db.write() as session:
        outcome = fail_task(
            session, first, error="bad page", permanent=True, policy=POLICY, now=now
        )
    assert outcome is Outcome.FAILED
    with db.write() as session:
        late = fail_task(session, second, error="also bad", permanent=True, policy=POLICY, now=now)
    assert late is Outcome.LOST
    assert finish_page(db, second, now).outcome is Outcome.LOST
    assert _types(db, job_id) == ["job.queued", "job.processing", "job.failed"]
    with db.read() as session:
        failed = read_events(session, owner=OWNER, job_id=job_id)[-1]
    assert failed.data["data"]["error"] == "bad page"
    assert "results" not in failed.data["data"]


def test_a_retried_page_writes_no_event_until_the_job_changes(db: Database) -> None:
    """A retry re-queues a task, not the job: no event, and no second processing event."""
    now = utcnow()
    job_id = make_job(db, now)
    lease = must_claim(db, "w1", now)
    with db.write() as session:
        outcome = fail_task(session, lease, error="flaky", permanent=False, policy=POLICY, now=now)
    assert outcome is Outcome.RETRY
    retry = must_claim(db, "w2", later(now, 5))
    assert retry.attempts == 2
    assert _types(db, job_id) == ["job.queued", "job.processing"]


def test_the_reaper_failing_a_lost_job_writes_one_failed_event(db: Database) -> None:
    """A worker that died on its last try: the reaper fails the job, once."""
    now = utcnow()
    job_id = make_job(db, now, max_attempts=1)
    lease = must_claim(db, "w1", now)
    assert reap(db, later(now, TTL + 1)) == 1
    assert reap(db, later(now, TTL + 2)) == 0
    assert finish_page(db, lease, later(now, TTL + 3)).outcome is Outcome.LOST
    assert _types(db, job_id) == ["job.queued", "job.processing", "job.failed"]
    with db.read() as session:
        failed = read_events(session, owner=OWNER, job_id=job_id)[-1]
    assert "worker lost" in failed.data["data"]["error"]


def test_the_reaper_settling_a_cancel_writes_one_cancelled_event(db: Database) -> None:
    """A cancel asked while the page's worker died ends the job when its lease is reaped."""
    now = utcnow()
    job_id = make_job(db, now)
    must_claim(db, "w1", now)
    with db.write() as session:
        cancel_job(session, owner=OWNER, job_id=job_id, now=now)
    assert reap(db, later(now, TTL + 1)) == 1
    assert _types(db, job_id) == ["job.queued", "job.processing", "job.cancelled"]


def test_a_lost_lease_writes_no_event(db: Database) -> None:
    """A worker whose lease was reaped and re-claimed finishes nothing and records nothing."""
    now = utcnow()
    job_id = make_job(db, now)
    lost = must_claim(db, "A", now)
    assert reap(db, later(now, TTL + 1)) == 1
    current = must_claim(db, "B", later(now, TTL + 10))
    assert finish_page(db, lost, later(now, TTL + 11)).outcome is Outcome.LOST
    assert _types(db, job_id) == ["job.queued", "job.processing"]
    done = finish_page(db, current, later(now, TTL + 12))
    assert done.assemble is not None
    assert finish_job(db, done.assemble, later(now, TTL + 13)) is Outcome.DONE
    assert _types(db, job_id) == ["job.queued", "job.processing", "job.progress", "job.completed"]


def test_an_event_rolls_back_with_its_change(db: Database) -> None:
    """A transaction that fails after recording leaves neither change nor event."""
    now = utcnow()
    job_id = make_job(db, now)
    before = _types(db, job_id)
    with pytest.raises(RuntimeError), db.write() as session:
        cancel_job(session, owner=OWNER, job_id=job_id, now=now)
        raise RuntimeError("abort")
    assert _types(db, job_id) == before
    assert job_row(db, job_id).status == "queued"


def test_read_events_is_scoped_by_owner_and_job_and_resumes_after_an_id(db: Database) -> None:
    """Owner None reads everyone's; after_id and limit page through in id order."""
    now = utcnow()
    mine = make_job(db, now)
    theirs = make_job(db, now, owner="bob")
    with db.write() as session:
        cancel_job(session, owner=OWNER, job_id=mine, now=now)
    with db.read() as session:
        alice = read_events(session, owner=OWNER)
        everyone = read_events(session, owner=None)
        latest = latest_event_id(session)
        first, *_ = alice
        rest = read_events(session, owner=OWNER, after_id=first.id)
        one = read_events(session, owner=None, limit=1)
        bobs = read_events(session, owner="bob", job_id=theirs)
        none_of_bobs = read_events(session, owner=OWNER, job_id=theirs)
    assert [e.type for e in alice] == ["job.queued", "job.cancelled"]
    assert {e.owner for e in everyone} == {OWNER, "bob"} and len(everyone) == 3
    assert [e.id for e in everyone] == sorted(e.id for e in everyone)
    assert latest == everyone[-1].id
    assert [e.type for e in rest] == ["job.cancelled"]
    assert len(one) == 1 and one[0].id == everyone[0].id
    assert [e.job_id for e in bobs] == [theirs] and none_of_bobs == []


def test_latest_event_id_is_zero_without_events(db: Database) -> None:
    with db.read() as session:
        assert latest_event_id(session) == 0


def test_unknown_event_types_are_refused(db: Database) -> None:
    job_id = make_job(db, utcnow())
    with pytest.raises(ValueError, match="unknown event type"), db.write() as session:
        record_event(session, type="job.exploded", job_id=job_id, now=utcnow())


def test_commit_callbacks_get_the_last_event_id_only_after_commit(db: Database) -> None:
    """In-process readers are woken after the commit, never by a rolled-back event."""
    seen: list[int] = []
    stop = on_commit(seen.append)
    try:
        now = utcnow()
        job_id = make_job(db, now)
        with pytest.raises(RuntimeError), db.write() as session:
            cancel_job(session, owner=OWNER, job_id=job_id, now=now)
            assert seen and seen[-1] < latest_event_id(session)
            raise RuntimeError("abort")
        with db.read() as session:
            assert seen == [latest_event_id(session)]
    finally:
        stop()
    make_job(db, utcnow())
    assert len(seen) == 1


def _listen(db: Database) -> psycopg.Connection[Any]:
    """A listener on the events' channel, which the tests' schemas all share: this one's
    next event ids are moved to a random stretch, so that the notice of another test's
    event is not taken for one of this test's."""
    connection = psycopg.connect(db.conninfo(), autocommit=True)
    connection.execute(
        "SELECT setval(pg_get_serial_sequence('events', 'id'), %s)",
        (random.randrange(10**12, 10**15),),
    )
    connection.execute(f"LISTEN {EVENTS_CHANNEL}")
    return connection


def _notified(connection: psycopg.Connection[Any]) -> list[int]:
    return [int(n.payload) for n in connection.notifies(timeout=0.5)]


def test_postgres_notifies_each_committed_event_id_and_no_rolled_back_one(db: Database) -> None:
    """pg_notify runs in the recording transaction, so only committed events are announced."""
    if db.dialect != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's")
    listener = _listen(db)
    try:
        now = utcnow()
        job_id = make_job(db, now)
        with pytest.raises(RuntimeError), db.write() as session:
            aborted = record_event(session, type="job.cancelled", job_id=job_id, now=now)
            raise RuntimeError("abort")
        with db.read() as session:
            (queued,) = read_events(session, owner=None, job_id=job_id)
        notified = _notified(listener)
        assert queued.id in notified
        assert aborted not in notified
    finally:
        listener.close()


def test_postgres_notifies_the_last_of_events_recorded_together(db: Database) -> None:
    """Many events in one statement: one notice, of the last id, wakes the readers."""
    if db.dialect != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's")
    now = utcnow()
    jobs = [make_job(db, now) for _ in range(3)]
    listener = _listen(db)
    try:
        with db.write() as session:
            rows = {row.id: row for row in session.execute(select(*JOB_EVENT_COLUMNS))}
            ids = record_events(session, [("job.progress", rows[job]) for job in jobs], now=now)
        notified = _notified(listener)
        assert max(ids) in notified
        assert not set(ids[:-1]) & set(notified)
    finally:
        listener.close()


def test_events_fan_out_to_the_owners_matching_enabled_subscriptions(db: Database) -> None:
    """In the event's transaction: one pending delivery per subscription that takes it."""
    now = utcnow()
    every = subscribe(db)
    finals = subscribe(db, types=["job.cancelled", "job.failed"])
    subscribe(db, owner="bob")
    disabled = subscribe(db)
    with db.write() as session:
        session.execute(
            update(WebhookSubscriptionRow)
            .where(WebhookSubscriptionRow.id == disabled)
            .values(enabled=False)
        )
    job_id = make_job(db, now)
    with db.write() as session:
        cancel_job(session, owner=OWNER, job_id=job_id, now=now)
    url = f"https://{OWNER}.example.com/hook"
    assert fanned_out(db) == [
        (every, "job.queued", url),
        (every, "job.cancelled", url),
        (finals, "job.cancelled", url),
    ]
    with db.read() as session:
        rows = list(session.scalars(select(WebhookDeliveryRow)))
    assert {(r.status, r.attempts, r.owner) for r in rows} == {("pending", 0, OWNER)}


def test_a_jobs_webhook_url_gets_every_event_of_that_job(db: Database) -> None:
    """The per-job URL: a delivery without subscription for each event of its job only."""
    now = utcnow()
    with db.write() as session:
        document, _ = add_document(
            session,
            owner=OWNER,
            sha256="ef" * 32,
            filename="a.png",
            media_type="image/png",
            size=10,
            pages=1,
            now=now,
        )
        job = enqueue_job(
            session,
            owner=OWNER,
            document=document,
            options=JobOptions(webhook_url="https://hooks.example.com/job"),
            max_attempts=3,
            now=now,
        )
    make_job(db, now)  # another job of the owner, without a URL
    lease = must_claim(db, "w1", now)
    assert lease.job_id == job.id
    assert fanned_out(db) == [
        (None, "job.queued", "https://hooks.example.com/job"),
        (None, "job.processing", "https://hooks.example.com/job"),
    ]


def test_a_submits_queued_event_carries_the_payload_record_event_builds(db: Database) -> None:
    """PostgreSQL writes a submit's event in the submit's own statement: its payload is the
    one :func:`record_event` builds from the job row."""
    now = utcnow()
    job_id = make_job(db, now)
    with db.write() as session:
        (queued,) = read_events(session, owner=None, job_id=job_id)
        again = record_event(session, type="job.queued", job_id=job_id, now=now)
        rebuilt = session.get(EventRow, again)
        assert rebuilt is not None
        assert queued.data == rebuilt.data
        session.rollback()


def test_events_recorded_together_route_as_one_by_one(db: Database) -> None:
    """record_events: each job's event goes to the subscriptions that take it and to its
    own webhook, with payloads and ids in the order asked."""
    now = utcnow()
    every = subscribe(db, types=["job.progress"])
    with db.write() as session:
        document, _ = add_document(
            session,
            owner=OWNER,
            sha256="ab" * 32,
            filename="a.png",
            media_type="image/png",
            size=10,
            pages=1,
            now=now,
        )
        hooked = enqueue_job(
            session,
            owner=OWNER,
            document=document,
            options=JobOptions(webhook_url="https://hooks.example.com/job"),
            max_attempts=3,
            now=now,
        ).id
    plain = make_job(db, now, owner="bob")
    with db.write() as session:
        rows = {row.id: row for row in session.execute(select(*JOB_EVENT_COLUMNS))}
        jobs = [rows[plain], rows[hooked]]
        ids = record_events(session, [("job.progress", job) for job in jobs], now=now)
    with db.read() as session:
        events = [session.get(EventRow, event_id) for event_id in ids]
    assert [(e.job_id, e.type, e.data["data"]["job_id"]) for e in events if e] == [
        (plain, "job.progress", plain),
        (hooked, "job.progress", hooked),
    ]
    url = f"https://{OWNER}.example.com/hook"
    assert fanned_out(db) == [
        (None, "job.queued", "https://hooks.example.com/job"),
        (every, "job.progress", url),
        (None, "job.progress", "https://hooks.example.com/job"),
    ]


def test_the_webhook_url_is_no_part_of_the_result_cache_key(db: Database) -> None:
    """Two submits that differ only in where to send events share a cached result."""
    assert options_fingerprint(
        JobOptions(webhook_url="https://a.example.com/")
    ) == options_fingerprint(JobOptions())


FINAL = {"job.completed", "job.failed", "job.cancelled"}


def test_racing_cancels_and_completions_write_one_final_event_matching_the_job(
    db: Database,
) -> None:
    """Whichever transition wins, each job ends with exactly one final event, its own."""
    now = utcnow()
    job_ids = [make_job(db, now) for _ in range(8)]
    leases = [must_claim(db, f"w{i}", now) for i in range(8)]

    def complete(lease: Any) -> None:
        done = finish_page(db, lease, now)
        if done.assemble is not None:
            finish_job(db, done.assemble, now)

    def cancel(job_id: str) -> None:
        with contextlib.suppress(ConflictError), db.write() as session:
            cancel_job(session, owner=OWNER, job_id=job_id, now=now)

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(complete, lease) for lease in leases]
        futures += [pool.submit(cancel, job_id) for job_id in job_ids]
        for future in futures:
            future.result()
    for job_id in job_ids:
        finals = [t for t in _types(db, job_id) if t in FINAL]
        assert finals == [f"job.{job_row(db, job_id).status}"], (job_id, _types(db, job_id))


def test_each_job_of_a_batch_submit_gets_its_queued_event(db: Database) -> None:
    now = utcnow()
    with db.write() as session:
        batch = create_batch(session, owner=OWNER, total=2, now=now)
        ids = []
        for index in range(2):
            document, _ = add_document(
                session,
                owner=OWNER,
                sha256=f"{index:02d}" * 32,
                filename=f"{index}.png",
                media_type="image/png",
                size=10,
                pages=1,
                now=now,
            )
            job = enqueue_job(
                session,
                owner=OWNER,
                document=document,
                options=OPTIONS,
                max_attempts=3,
                now=now,
                batch_id=batch.id,
                batch_index=index,
            )
            ids.append(job.id)
    assert [_types(db, job_id) for job_id in ids] == [["job.queued"], ["job.queued"]]
