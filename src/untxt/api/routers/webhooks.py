"""``/v1/webhooks``: subscribe URLs to job events, see their deliveries, send one again.

Also ``/v1/webhook-secret``: the owner's secret that signs deliveries to the
``webhook_url`` option of their jobs, and ``/v1/jobs/{id}/webhook-deliveries``: those
deliveries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import BaseModel, Field

from untxt.api.deps import PrincipalDep, StateDep
from untxt.api.schemas import MAX_ROW_ID
from untxt.db.models import WebhookAttemptRow, WebhookSubscriptionRow
from untxt.db.types import utcnow
from untxt.events import deliveries, delivery_views, subscriptions
from untxt.events.delivery_views import DeliveryView
from untxt.events.ssrf import check_url, parse_allowed_hosts
from untxt.events.webhooks import new_secret
from untxt.options import MAX_URL_LENGTH, EventType
from untxt.queue import jobs

router = APIRouter(tags=["webhooks"])

DeliveryId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
DeliveryCursor = Annotated[
    int | None, Query(ge=1, le=MAX_ROW_ID, description="next_cursor of the previous page")
]
PageLimit = Annotated[int, Query(ge=1, le=200)]


class WebhookCreate(BaseModel):
    """A URL to send the caller's job events to."""

    url: str = Field(max_length=MAX_URL_LENGTH, description="http(s) URL that receives POSTs.")
    events: list[EventType] | None = Field(
        None, min_length=1, description="Event types to send; omitted: all of them."
    )


class WebhookOut(BaseModel):
    """A webhook subscription (its secret is shown only when it is created)."""

    id: str
    url: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: WebhookSubscriptionRow) -> WebhookOut:
        return cls(
            id=row.id,
            url=row.url,
            events=subscriptions.decode_event_types(row.event_types),
            enabled=row.enabled,
            disabled_reason=row.disabled_reason,
            disabled_at=row.disabled_at,
            created_at=row.created_at,
        )


class WebhookCreated(WebhookOut):
    """A new subscription and its signing secret, which is not shown again."""

    secret: str


class WebhookList(BaseModel):
    items: list[WebhookOut]


class AttemptOut(BaseModel):
    """One try of a delivery."""

    attempt: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None

    @classmethod
    def of(cls, row: WebhookAttemptRow) -> AttemptOut:
        return cls(
            attempt=row.attempt,
            started_at=row.started_at,
            duration_ms=row.duration_ms,
            status_code=row.status_code,
            error=row.error,
        )


class DeliveryOut(BaseModel):
    """One event sent (or being sent) to one endpoint."""

    id: int
    webhook_id: str = Field(description="The webhook-id header: the same on every attempt.")
    event_id: int
    event_type: str
    status: str = Field(description="pending, succeeded or failed.")
    attempts: int
    next_attempt_at: datetime | None = Field(description="When a pending one is tried next.")
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    attempt_log: list[AttemptOut]

    @classmethod
    def of(cls, view: DeliveryView) -> DeliveryOut:
        row = view.delivery
        return cls(
            id=row.id,
            webhook_id=deliveries.message_id(row.event_id, row.id),
            event_id=row.event_id,
            event_type=view.event_type,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            created_at=row.created_at,
            finished_at=row.finished_at,
            attempt_log=[AttemptOut.of(a) for a in view.attempts],
        )


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
    next_cursor: int | None

    @classmethod
    def page(cls, views: list[DeliveryView], limit: int) -> DeliveryList:
        """One page of ``views``; a full page has a next one to ask for."""
        next_cursor = views[-1].delivery.id if len(views) == limit else None
        return cls(items=[DeliveryOut.of(v) for v in views], next_cursor=next_cursor)


class SecretOut(BaseModel):
    """The ``whsec_`` secret that signs deliveries to the caller's jobs' ``webhook_url``."""

    secret: str


@router.post("/v1/webhooks", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated)
def create_webhook(body: WebhookCreate, state: StateDep, principal: PrincipalDep) -> WebhookCreated:
    """Subscribe a URL to the caller's job events; the answer holds its signing secret."""
    check_url(body.url, allowed=parse_allowed_hosts(state.settings.webhook_allowed_hosts))
    secret = new_secret()
    with state.db.write() as session:
        row = subscriptions.create_subscription(
            session,
            owner=principal.owner,
            url=body.url,
            event_types=body.events,
            secret=secret,
            now=utcnow(),
        )
        out = WebhookOut.of(row)
    return WebhookCreated(**out.model_dump(), secret=secret)


@router.get("/v1/webhooks", response_model=WebhookList)
def list_webhooks(state: StateDep, principal: PrincipalDep) -> WebhookList:
    """The caller's subscriptions, oldest first."""
    with state.db.read() as session:
        rows = subscriptions.list_subscriptions(session, owner=principal.owner)
        return WebhookList(items=[WebhookOut.of(row) for row in rows])


@router.get("/v1/webhook-secret", response_model=SecretOut)
def get_webhook_secret(state: StateDep, principal: PrincipalDep) -> SecretOut:
    """The secret that signs deliveries to the caller's jobs' ``webhook_url`` (made on
    first use)."""
    with state.db.write() as session:
        secret = subscriptions.owner_secret(
            session, owner=principal.owner, now=utcnow(), new_secret=new_secret
        )
    return SecretOut(secret=secret)


@router.post("/v1/webhook-secret/rotate", response_model=SecretOut)
def rotate_webhook_secret(state: StateDep, principal: PrincipalDep) -> SecretOut:
    """Replace that secret; deliveries from now on are signed with the new one."""
    with state.db.write() as session:
        secret = subscriptions.replace_owner_secret(
            session, owner=principal.owner, secret=new_secret(), now=utcnow()
        )
    return SecretOut(secret=secret)


@router.get("/v1/webhooks/{webhook_id}", response_model=WebhookOut)
def get_webhook(webhook_id: str, state: StateDep, principal: PrincipalDep) -> WebhookOut:
    """One of the caller's subscriptions."""
    with state.db.read() as session:
        row = subscriptions.get_subscription(
            session, owner=principal.owner, subscription_id=webhook_id
        )
        return WebhookOut.of(row)


@router.delete("/v1/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook_id: str, state: StateDep, principal: PrincipalDep) -> Response:
    """Unsubscribe; pending deliveries are dropped with the delivery log."""
    with state.db.write() as session:
        subscriptions.delete_subscription(
            session, owner=principal.owner, subscription_id=webhook_id
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/v1/webhooks/{webhook_id}/deliveries", response_model=DeliveryList)
def list_webhook_deliveries(
    webhook_id: str,
    state: StateDep,
    principal: PrincipalDep,
    limit: PageLimit = 50,
    cursor: DeliveryCursor = None,
) -> DeliveryList:
    """The subscription's deliveries, newest first, each with every attempt."""
    with state.db.read() as session:
        views = delivery_views.list_deliveries(
            session, owner=principal.owner, subscription_id=webhook_id, limit=limit, before=cursor
        )
    return DeliveryList.page(views, limit)


@router.post(
    "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryOut,
)
def retry_webhook_delivery(
    webhook_id: str,
    delivery_id: DeliveryId,
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
) -> DeliveryOut:
    """Send a delivery again now, with the same ``webhook-id``."""
    with state.db.write() as session:
        view = delivery_views.retry_delivery(
            session,
            owner=principal.owner,
            subscription_id=webhook_id,
            delivery_id=delivery_id,
            now=utcnow(),
        )
        out = DeliveryOut.of(view)
    _wake_deliverer(request)
    return out


@router.get("/v1/jobs/{job_id}/webhook-deliveries", response_model=DeliveryList)
def list_job_webhook_deliveries(
    job_id: str,
    state: StateDep,
    principal: PrincipalDep,
    limit: PageLimit = 50,
    cursor: DeliveryCursor = None,
) -> DeliveryList:
    """Deliveries to the job's own ``webhook_url``, newest first, each with every attempt."""
    with state.db.read() as session:
        jobs.get_job(session, owner=principal.owner, job_id=job_id)
        views = delivery_views.list_job_deliveries(
            session, owner=principal.owner, job_id=job_id, limit=limit, before=cursor
        )
    return DeliveryList.page(views, limit)


@router.post(
    "/v1/jobs/{job_id}/webhook-deliveries/{delivery_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryOut,
)
def retry_job_webhook_delivery(
    job_id: str, delivery_id: DeliveryId, request: Request, state: StateDep, principal: PrincipalDep
) -> DeliveryOut:
    """Send a delivery to the job's ``webhook_url`` again now, with the same ``webhook-id``."""
    with state.db.write() as session:
        jobs.get_job(session, owner=principal.owner, job_id=job_id)
        view = delivery_views.retry_job_delivery(
            session, owner=principal.owner, job_id=job_id, delivery_id=delivery_id, now=utcnow()
        )
        out = DeliveryOut.of(view)
    _wake_deliverer(request)
    return out


def _wake_deliverer(request: Request) -> None:
    deliverer = getattr(request.app.state, "deliverer", None)
    if deliverer is not None:
        deliverer.wake()
