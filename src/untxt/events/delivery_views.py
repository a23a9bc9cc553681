"""Webhook deliveries as their owners see them: listed with their attempts, and sent
again on request (the deliverer's side is in :mod:`untxt.events.deliveries`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from untxt.db.models import EventRow, WebhookAttemptRow, WebhookDeliveryRow
from untxt.errors import ConflictError, NotFoundError
from untxt.events.subscriptions import DELIVERIES, get_subscription
from untxt.queue.outbox import deliveries_due


@dataclass(frozen=True)
class DeliveryView:
    """A delivery with its event's type and its attempts, oldest first."""

    delivery: WebhookDeliveryRow
    event_type: str
    attempts: list[WebhookAttemptRow]


def list_deliveries(
    session: Session,
    *,
    owner: str,
    subscription_id: str,
    limit: int = 50,
    before: int | None = None,
) -> list[DeliveryView]:
    """The subscription's deliveries, newest first; ``before`` is the last id of the
    previous page."""
    get_subscription(session, owner=owner, subscription_id=subscription_id)
    query = _with_type().where(
        WebhookDeliveryRow.subscription_id == subscription_id,
        WebhookDeliveryRow.owner == owner,
    )
    return _page(session, query, limit=limit, before=before)


def get_delivery(
    session: Session, *, owner: str, subscription_id: str, delivery_id: int
) -> DeliveryView:
    """One delivery of the owner's subscription; raises :class:`NotFoundError`."""
    row = session.execute(
        _with_type().where(
            WebhookDeliveryRow.id == delivery_id,
            WebhookDeliveryRow.subscription_id == subscription_id,
            WebhookDeliveryRow.owner == owner,
        )
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no delivery {delivery_id} of webhook {subscription_id!r}")
    return _with_attempts(session, [(row[0], row[1])])[0]


def _with_type() -> Select[WebhookDeliveryRow, str]:
    """Deliveries with the type of the event each carries."""
    return select(WebhookDeliveryRow, EventRow.type).join(
        EventRow, EventRow.id == WebhookDeliveryRow.event_id
    )


def _page(
    session: Session,
    query: Select[WebhookDeliveryRow, str],
    *,
    limit: int,
    before: int | None,
) -> list[DeliveryView]:
    """One page of ``query``'s deliveries, newest first, below id ``before``."""
    if before is not None:
        query = query.where(WebhookDeliveryRow.id < before)
    rows = session.execute(query.order_by(WebhookDeliveryRow.id.desc()).limit(limit)).all()
    return _with_attempts(session, [(row[0], row[1]) for row in rows])


def _with_attempts(
    session: Session, rows: list[tuple[WebhookDeliveryRow, str]]
) -> list[DeliveryView]:
    ids = [delivery.id for delivery, _ in rows]
    attempts: dict[int, list[WebhookAttemptRow]] = {i: [] for i in ids}
    if ids:
        query = (
            select(WebhookAttemptRow)
            .where(WebhookAttemptRow.delivery_id.in_(ids))
            .order_by(WebhookAttemptRow.delivery_id, WebhookAttemptRow.attempt)
        )
        for attempt in session.scalars(query):
            attempts[attempt.delivery_id].append(attempt)
    return [DeliveryView(d, t, attempts[d.id]) for d, t in rows]


def list_job_deliveries(
    session: Session,
    *,
    owner: str,
    job_id: str,
    limit: int = 50,
    before: int | None = None,
) -> list[DeliveryView]:
    """Deliveries to the job's own ``webhook_url``, newest first."""
    query = _with_type().where(
        WebhookDeliveryRow.subscription_id.is_(None),
        WebhookDeliveryRow.owner == owner,
        EventRow.job_id == job_id,
    )
    return _page(session, query, limit=limit, before=before)


def retry_delivery(
    session: Session, *, owner: str, subscription_id: str, delivery_id: int, now: datetime
) -> DeliveryView:
    """Send a subscription's delivery again now, whatever became of it; the ``webhook-id``
    stays the same.

    A delivery being sent right now, or one of a disabled subscription, is a conflict.
    """
    subscription = get_subscription(session, owner=owner, subscription_id=subscription_id)
    view = get_delivery(
        session, owner=owner, subscription_id=subscription_id, delivery_id=delivery_id
    )
    if not subscription.enabled:
        raise ConflictError(
            f"webhook {subscription_id} is disabled ({subscription.disabled_reason}); "
            "subscribe the endpoint again to receive deliveries"
        )
    return _send_again(session, view, now=now)


def retry_job_delivery(
    session: Session, *, owner: str, job_id: str, delivery_id: int, now: datetime
) -> DeliveryView:
    """Send a delivery to a job's own ``webhook_url`` again now (see :func:`retry_delivery`)."""
    row = session.execute(
        _with_type().where(
            WebhookDeliveryRow.id == delivery_id,
            WebhookDeliveryRow.subscription_id.is_(None),
            WebhookDeliveryRow.owner == owner,
            EventRow.job_id == job_id,
        )
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no delivery {delivery_id} of job {job_id!r}")
    return _send_again(session, _with_attempts(session, [(row[0], row[1])])[0], now=now)


def _send_again(session: Session, view: DeliveryView, *, now: datetime) -> DeliveryView:
    delivery_id = view.delivery.id
    changed = session.execute(
        update(DELIVERIES)
        .where(
            DELIVERIES.c.id == delivery_id,
            # Not while a deliverer holds it: that attempt is under way.
            (DELIVERIES.c.status != "pending")
            | DELIVERIES.c.lease_owner.is_(None)
            | (DELIVERIES.c.next_attempt_at <= now),
        )
        .values(
            status="pending",
            next_attempt_at=now,
            lease_owner=None,
            finished_at=None,
            updated_at=now,
        )
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        raise ConflictError(f"delivery {delivery_id} is being sent right now")
    deliveries_due(session)
    session.refresh(view.delivery)
    return view
