"""The delivery loop against a real endpoint on loopback: retries, 410, Retry-After, leases."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import make_settings
from tests.events.receiver import Receiver, Reply, running_receiver
from tests.events.test_stream_hub_sqlite import queue_job_elsewhere
from tests.queue.helpers import OWNER, make_job
from untxt.config import Settings
from untxt.db import Database, upgrade
from untxt.db.models import WebhookAttemptRow, WebhookDeliveryRow, WebhookSubscriptionRow
from untxt.db.types import utcnow
from untxt.events import deliverer as deliverer_module
from untxt.events import deliveries, subscriptions
from untxt.events.deliverer import Deliverer
from untxt.events.webhooks import new_secret


def _settings(tmp_path: Path, db: Database, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db.url.render_as_string(hide_password=False),
        "webhook_allowed_hosts": "127.0.0.1",
        "webhook_retry_schedule": "0.1,0.2,0.4",
        "webhook_poll_interval": 0.02,
        "webhook_timeout": 2.0,
    }
    values.update(overrides)
    return make_settings(tmp_path / "data", **values)


@contextmanager
def _deliverer(settings: Settings, db: Database) -> Iterator[Deliverer]:
    deliverer = Deliverer(settings, db)
    deliverer.start()
    try:
        yield deliverer
    finally:
        deliverer.stop()


def _subscribe(db: Database, receiver: Receiver, types: list[str] | None = None) -> str:
    receiver.secret = new_secret()
    with db.write() as session:
        row = subscriptions.create_subscription(
            session,
            owner=OWNER,
            url=receiver.url,
            event_types=types,
            secret=receiver.secret,
            now=utcnow(),
        )
        return row.id


def _deliveries(db: Database, subscription_id: str) -> list[WebhookDeliveryRow]:
    with db.read() as session:
        query = select(WebhookDeliveryRow).where(
            WebhookDeliveryRow.subscription_id == subscription_id
        )
        return list(session.scalars(query.order_by(WebhookDeliveryRow.id)))


def _attempts(db: Database, delivery_id: int) -> list[WebhookAttemptRow]:
    with db.read() as session:
        query = select(WebhookAttemptRow).where(WebhookAttemptRow.delivery_id == delivery_id)
        return list(session.scalars(query.order_by(WebhookAttemptRow.attempt)))


def _wait_until(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_an_endpoint_failing_three_times_gets_the_event_once_after_growing_gaps(
    db: Database, tmp_path: Path
) -> None:
    """500, 500, 500, then 200: four signed tries of one message, one success, then quiet."""
    # Delays three times longer each: even with +-20% jitter each gap is longer.
    settings = _settings(tmp_path, db, webhook_retry_schedule="0.1,0.3,0.9")
    with running_receiver() as receiver, _deliverer(settings, db):
        receiver.script = [Reply(500), Reply(500), Reply(500)]
        subscription = _subscribe(db, receiver, ["job.queued"])
        job_id = make_job(db, utcnow())
        arrived = receiver.wait_for(4)
        time.sleep(0.5)  # nothing more may come after the success
        arrived = list(receiver.received)
    assert len(arrived) == 4
    assert all(r.verified for r in arrived)
    assert len({r.webhook_id for r in arrived}) == 1
    assert [r.status for r in arrived] == [500, 500, 500, 200]
    assert [r.payload["data"]["job_id"] for r in arrived if r.payload] == [job_id] * 4
    gaps = [b.at - a.at for a, b in pairwise(arrived)]
    assert gaps[0] >= 0.08 and gaps[1] >= 0.24 and gaps[2] >= 0.72
    assert gaps[0] < gaps[1] < gaps[2]
    (delivery,) = _deliveries(db, subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 4, 200)
    assert [(a.attempt, a.status_code) for a in _attempts(db, delivery.id)] == [
        (1, 500),
        (2, 500),
        (3, 500),
        (4, 200),
    ]


def test_a_delivery_fails_for_good_once_the_schedule_is_used_up(
    db: Database, tmp_path: Path
) -> None:
    """One try plus one per delay of the schedule, then failed with the last answer."""
    with running_receiver() as receiver, _deliverer(_settings(tmp_path, db), db):
        receiver.default = Reply(500)
        subscription = _subscribe(db, receiver, ["job.queued"])
        make_job(db, utcnow())
        receiver.wait_for(4)
        _wait_until(lambda: _deliveries(db, subscription)[0].status == "failed")
        time.sleep(0.3)
        assert len(receiver.received) == 4
    (delivery,) = _deliveries(db, subscription)
    assert (delivery.attempts, delivery.last_status_code) == (4, 500)


def test_410_gone_disables_the_subscription_and_drops_its_pending_deliveries(
    db: Database, tmp_path: Path
) -> None:
    """The endpoint said it is gone: no more tries, and the reason is on the subscription."""
    settings = _settings(tmp_path, db, webhook_concurrency=1)
    with running_receiver() as receiver:
        receiver.default = Reply(410)
        subscription = _subscribe(db, receiver, ["job.queued"])
        make_job(db, utcnow())
        make_job(db, utcnow())
        with _deliverer(settings, db):
            receiver.wait_for(1)
            _wait_until(lambda: all(d.status == "failed" for d in _deliveries(db, subscription)))
            make_job(db, utcnow())  # after the disable: no delivery at all
            time.sleep(0.3)
        assert len(receiver.received) == 1
    with db.read() as session:
        row = session.get(WebhookSubscriptionRow, subscription)
        assert row is not None
        assert row.enabled is False and row.disabled_at is not None
        assert "410" in (row.disabled_reason or "")
    first, second = _deliveries(db, subscription)
    assert (first.status, first.last_status_code) == ("failed", 410)
    assert second.status == "failed" and second.attempts == 0
    assert "not sent" in (second.last_error or "")


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_over_the_schedule(
    db: Database, tmp_path: Path, status: int
) -> None:
    """A 429 or 5xx with Retry-After: 1 waits a second, not the schedule's 0.1 s."""
    with running_receiver() as receiver, _deliverer(_settings(tmp_path, db), db):
        receiver.script = [Reply(status, {"Retry-After": "1"})]
        _subscribe(db, receiver, ["job.queued"])
        make_job(db, utcnow())
        first, second = receiver.wait_for(2, timeout=5)
    assert second.webhook_id == first.webhook_id and second.status == 200
    assert 0.95 <= second.at - first.at < 2.5


def test_a_timed_out_attempt_is_recorded_and_retried(db: Database, tmp_path: Path) -> None:
    """An endpoint slower than the timeout counts as a failure with the reason kept."""
    settings = _settings(tmp_path, db, webhook_timeout=0.3)
    with running_receiver() as receiver, _deliverer(settings, db):
        receiver.script = [Reply(200, delay=1.0)]
        subscription = _subscribe(db, receiver, ["job.queued"])
        make_job(db, utcnow())
        receiver.wait_for(2, timeout=5)
        _wait_until(lambda: _deliveries(db, subscription)[0].status == "succeeded")
    (delivery,) = _deliveries(db, subscription)
    first, second = _attempts(db, delivery.id)
    assert first.status_code is None and "timed out" in (first.error or "")
    assert first.duration_ms >= 250
    assert (second.status_code, second.error) == (200, None)


def test_an_unreachable_endpoint_is_retried_until_it_comes_up(db: Database, tmp_path: Path) -> None:
    """Connection refused is a failed attempt; the endpoint up later gets the event."""
    probe = Receiver()
    port = probe.port
    probe.stop()  # the port is free, nothing listens on it
    settings = _settings(tmp_path, db, webhook_retry_schedule="0.2,0.2,0.2,0.2,0.2,0.2")
    with _deliverer(settings, db):
        receiver_secret = new_secret()
        with db.write() as session:
            subscription = subscriptions.create_subscription(
                session,
                owner=OWNER,
                url=f"http://127.0.0.1:{port}/hook",
                event_types=["job.queued"],
                secret=receiver_secret,
                now=utcnow(),
            ).id
        make_job(db, utcnow())
        _wait_until(lambda: _deliveries(db, subscription)[0].attempts >= 2)
        # The secret is set before it serves: a retry may come at once.
        with running_receiver(port=port, secret=receiver_secret) as receiver:
            (arrived,) = receiver.wait_for(1)
            assert arrived.verified
    (delivery,) = _deliveries(db, subscription)
    attempts = _attempts(db, delivery.id)
    assert attempts[0].status_code is None and attempts[0].error
    assert attempts[-1].status_code == 200


def test_an_address_refused_at_delivery_time_is_never_called(db: Database, tmp_path: Path) -> None:
    """Without the allow-list, a loopback URL that got into the table is not called."""
    settings = _settings(tmp_path, db, webhook_allowed_hosts="")
    with running_receiver() as receiver, _deliverer(settings, db):
        subscription = _subscribe(db, receiver, ["job.queued"])
        make_job(db, utcnow())
        _wait_until(lambda: _deliveries(db, subscription)[0].attempts >= 2)
        assert receiver.received == []
    attempt = _attempts(db, _deliveries(db, subscription)[0].id)[0]
    assert attempt.status_code is None
    assert "refused" in (attempt.error or "") and "loopback" in (attempt.error or "")


def test_a_dead_deliverers_claim_is_sent_by_another_once_its_lease_ends(
    db: Database, tmp_path: Path
) -> None:
    """A claim never finished (its process died) falls due again after the lease."""
    with running_receiver() as receiver:
        subscription = _subscribe(db, receiver, ["job.queued"])
        make_job(db, utcnow())
        with db.write() as session:
            (claimed,) = deliveries.claim_deliveries(
                session,
                lease_owner="dead-node",
                limit=10,
                lease=0.5,
                now=utcnow(),
                new_secret=new_secret,
            )
        claimed_at = time.monotonic()
        with _deliverer(_settings(tmp_path, db), db):
            (arrived,) = receiver.wait_for(1)
    assert arrived.at - claimed_at >= 0.4
    assert arrived.verified and arrived.webhook_id == claimed.message_id
    (delivery,) = _deliveries(db, subscription)
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)


def test_two_deliverers_send_each_event_once(db: Database, tmp_path: Path) -> None:
    """Nodes share the table: every delivery is leased to one of them."""
    settings = _settings(tmp_path, db)
    with running_receiver() as receiver:
        subscription = _subscribe(db, receiver)
        with _deliverer(settings, db) as one, _deliverer(settings, db) as two:
            assert one.lease_owner != two.lease_owner
            for _ in range(15):
                make_job(db, utcnow())
            receiver.wait_for(15)
            time.sleep(0.3)
    ids = [r.webhook_id for r in receiver.received]
    assert len(ids) == 15 and len(set(ids)) == 15
    assert all(r.verified for r in receiver.received)
    assert {d.status for d in _deliveries(db, subscription)} == {"succeeded"}


def test_on_sqlite_a_quiet_loop_reads_nothing_and_another_process_commit_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers commit events in other processes, out of reach of this process's commit
    hook: the loop sees them through SQLite's commit counter, and reads only then."""
    sqlite = Database(f"sqlite:///{tmp_path / 'untxt.db'}")
    upgrade(sqlite)
    reads = 0

    def counted(session: Any) -> Any:
        nonlocal reads
        reads += 1
        return deliveries.next_due_at(session)

    monkeypatch.setattr(deliverer_module, "next_due_at", counted)
    with running_receiver() as receiver, _deliverer(_settings(tmp_path, sqlite), sqlite):
        _subscribe(sqlite, receiver, ["job.queued"])
        time.sleep(0.2)  # the loop reads once after the subscription's commit
        before = reads
        time.sleep(0.5)  # 25 looks at a quiet file
        quiet = reads - before
        queue_job_elsewhere(sqlite)
        (arrived,) = receiver.wait_for(1)
    assert quiet == 0
    assert arrived.verified and arrived.payload is not None
    assert arrived.payload["type"] == "job.queued"
