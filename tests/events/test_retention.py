"""Retention: job events and their webhook deliveries go with the jobs, after the cutoff."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from tests.queue.helpers import OWNER, make_job
from untxt.db import Database
from untxt.db.models import EventRow, WebhookAttemptRow, WebhookDeliveryRow
from untxt.db.types import utcnow
from untxt.events import deliveries, subscriptions
from untxt.events.deliveries import AttemptResult
from untxt.events.webhooks import new_secret
from untxt.queue.outbox import delete_expired_events, read_events
from untxt.retention import cleanup
from untxt.storage import LocalBlobStore


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _deliver_all(db: Database, now: datetime) -> None:
    """Send every due delivery once, successfully, as a deliverer would record it."""
    with db.write() as session:
        claimed = deliveries.claim_deliveries(
            session, lease_owner="n1", limit=100, lease=30, now=now, new_secret=new_secret
        )
        for delivery in claimed:
            deliveries.finish_attempt(
                session,
                delivery,
                lease_owner="n1",
                result=AttemptResult(started_at=now, duration_ms=3, status_code=204),
                retry_at=None,
                now=now,
            )


def test_cleanup_deletes_old_events_with_their_deliveries_and_keeps_recent_ones(
    db: Database, storage: LocalBlobStore
) -> None:
    now = utcnow()
    old = now - timedelta(days=40)
    with db.write() as session:
        subscriptions.create_subscription(
            session,
            owner=OWNER,
            url="https://example.com/hook",
            event_types=None,
            secret=new_secret(),
            now=old,
        )
    make_job(db, old)
    _deliver_all(db, old)
    make_job(db, now)
    assert (_count(db, EventRow), _count(db, WebhookDeliveryRow)) == (2, 2)
    assert _count(db, WebhookAttemptRow) == 1

    report = cleanup(db, storage, older_than=timedelta(days=30), now=now)

    assert report.events == 1
    with db.read() as session:
        (kept,) = read_events(session, owner=None)
    assert kept.created_at == now
    assert (_count(db, WebhookDeliveryRow), _count(db, WebhookAttemptRow)) == (1, 0)


def test_an_event_still_being_delivered_is_kept_past_the_cutoff(db: Database) -> None:
    now = utcnow()
    old = now - timedelta(days=40)
    with db.write() as session:
        subscriptions.create_subscription(
            session,
            owner=OWNER,
            url="https://example.com/hook",
            event_types=None,
            secret=new_secret(),
            now=old,
        )
    make_job(db, old)  # its delivery is pending
    with db.write() as session:
        assert delete_expired_events(session, cutoff=now, limit=10) == 0
    _deliver_all(db, now)
    with db.write() as session:
        assert delete_expired_events(session, cutoff=now, limit=10) == 1
    assert (_count(db, EventRow), _count(db, WebhookDeliveryRow)) == (0, 0)
