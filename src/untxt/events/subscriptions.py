"""Webhook subscriptions, and each owner's secret for the ``webhook_url`` of their jobs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from untxt.db.models import (
    EVENT_TYPES,
    WebhookAttemptRow,
    WebhookDeliveryRow,
    WebhookSecretRow,
    WebhookSubscriptionRow,
    table_of,
)
from untxt.db.session import DIALECT_INSERTS
from untxt.errors import NotFoundError
from untxt.ids import new_id

SUBSCRIPTIONS = table_of(WebhookSubscriptionRow)
DELIVERIES = table_of(WebhookDeliveryRow)
ATTEMPTS = table_of(WebhookAttemptRow)
SECRETS = table_of(WebhookSecretRow)

#: ``event_types`` of a subscription to every type.
ALL_TYPES = "*"


def encode_event_types(types: Sequence[str] | None) -> str:
    """The stored form of a subscription's types: ``*`` for all, else ``,a,b,``."""
    if not types:
        return ALL_TYPES
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"unknown event types: {', '.join(unknown)}")
    chosen = [t for t in EVENT_TYPES if t in set(types)]
    if len(chosen) == len(EVENT_TYPES):
        return ALL_TYPES
    return "," + ",".join(chosen) + ","


def decode_event_types(stored: str) -> list[str]:
    """The types a subscription receives, in :data:`EVENT_TYPES` order."""
    if stored == ALL_TYPES:
        return list(EVENT_TYPES)
    return [t for t in stored.split(",") if t]


def create_subscription(
    session: Session,
    *,
    owner: str,
    url: str,
    event_types: Sequence[str] | None,
    secret: str,
    now: datetime,
) -> WebhookSubscriptionRow:
    """Subscribe ``url`` to the owner's events of ``event_types`` (``None``: all)."""
    row = WebhookSubscriptionRow(
        id=new_id("wh"),
        owner=owner,
        url=url,
        event_types=encode_event_types(event_types),
        secret=secret,
        enabled=True,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def list_subscriptions(session: Session, *, owner: str) -> list[WebhookSubscriptionRow]:
    """The owner's subscriptions, oldest first."""
    query = (
        select(WebhookSubscriptionRow)
        .where(WebhookSubscriptionRow.owner == owner)
        .order_by(WebhookSubscriptionRow.id)
    )
    return list(session.scalars(query))


def get_subscription(
    session: Session, *, owner: str, subscription_id: str
) -> WebhookSubscriptionRow:
    """The owner's subscription ``subscription_id``; raises :class:`NotFoundError`."""
    row = session.scalar(
        select(WebhookSubscriptionRow).where(
            WebhookSubscriptionRow.id == subscription_id, WebhookSubscriptionRow.owner == owner
        )
    )
    if row is None:
        raise NotFoundError(f"no webhook subscription {subscription_id!r}")
    return row


def delete_subscription(session: Session, *, owner: str, subscription_id: str) -> None:
    """Delete the owner's subscription with its deliveries and their attempts."""
    get_subscription(session, owner=owner, subscription_id=subscription_id)
    deliveries = select(DELIVERIES.c.id).where(DELIVERIES.c.subscription_id == subscription_id)
    session.execute(delete(ATTEMPTS).where(ATTEMPTS.c.delivery_id.in_(deliveries)))
    session.execute(delete(DELIVERIES).where(DELIVERIES.c.subscription_id == subscription_id))
    session.execute(delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == subscription_id))


# -- the owner's secret for per-job webhook URLs --------------------------------------


def owner_secret(
    session: Session, *, owner: str, now: datetime, new_secret: Callable[[], str]
) -> str:
    """The secret that signs deliveries to the owner's jobs' ``webhook_url``; created
    (from ``new_secret()``) the first time it is asked for."""
    dialect = session.get_bind().dialect.name
    statement = (
        DIALECT_INSERTS[dialect](SECRETS)
        .values(owner=owner, secret=new_secret(), created_at=now)
        .on_conflict_do_nothing(index_elements=["owner"])
    )
    session.execute(statement)
    return str(session.scalar(select(SECRETS.c.secret).where(SECRETS.c.owner == owner)))


def replace_owner_secret(session: Session, *, owner: str, secret: str, now: datetime) -> str:
    """Replace the owner's per-job signing secret with ``secret``."""
    dialect = session.get_bind().dialect.name
    statement = DIALECT_INSERTS[dialect](SECRETS).values(owner=owner, secret=secret, created_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["owner"], set_={"secret": secret, "created_at": now}
    )
    session.execute(statement)
    return secret
