"""Outbound webhook subscriptions (scope ``webhooks:manage``): create (the secret is
returned once), list, get, change, delete, the delivery log and manual redelivery.
Delivery itself is the worker's (``integrations.outbound``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import Response, url_for
from flask_openapi3.models.tag import Tag
from pydantic import AnyHttpUrl, BaseModel, Field
from sqlalchemy.orm import Session

from integrations.outbound import create_subscription, update_subscription
from web.api import bp
from web.api.models import IdempotencyHeader
from web.api.respond import Made, changing, json_response
from web.principal import requires
from web.uow import read_session, services, unit_of_work
from workflow import DeliveryView, SubscriptionView, WebhookStore

TAG = [Tag(name="webhooks", description="Outbound webhook subscriptions (docs/webhooks.md)")]
EVENTS = Field(
    min_length=1,
    max_length=50,
    description="event types: a name (task.created), a prefix wildcard (task.*) or *",
)


class WebhookPath(BaseModel):
    webhook_id: uuid.UUID


BIGINT = 2**63 - 1  # a larger id cannot exist, and the database would refuse to compare it


class DeliveryPath(BaseModel):
    webhook_id: uuid.UUID
    delivery_id: int = Field(ge=1, le=BIGINT)


class DeliveriesQuery(BaseModel):
    limit: int = Field(default=50, ge=1, le=200)
    before: int | None = Field(
        default=None, description="the next page: deliveries older than this id"
    )


class SubscriptionBody(BaseModel):
    url: AnyHttpUrl
    events: list[str] = EVENTS
    secret: str | None = Field(default=None, description="whsec_…; generated when absent")
    description: str = Field(default="", max_length=300)


class SubscriptionPatch(BaseModel):
    url: AnyHttpUrl | None = None
    events: list[str] | None = Field(default=None, min_length=1, max_length=50)
    secret: str | None = None
    description: str | None = Field(default=None, max_length=300)
    active: bool | None = Field(default=None, description="true re-enables a disabled one")


class Subscription(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    description: str
    active: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class SubscriptionCreated(Subscription):
    secret: str = Field(description="shown only in this answer: store it now")


class SubscriptionList(BaseModel):
    items: list[Subscription]


class Attempt(BaseModel):
    at: datetime
    status: int | None
    duration_ms: int
    error: str | None
    response_excerpt: str | None


class Delivery(BaseModel):
    id: int
    message_id: str = Field(description="the webhook-id every attempt carries")
    event_type: str
    instance_id: uuid.UUID | None
    status: str = Field(description="pending | sending | delivered | failed")
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    log: list[Attempt]


class DeliveryPage(BaseModel):
    items: list[Delivery]
    next_cursor: str | None = None


def _subscription(view: SubscriptionView) -> Subscription:
    return Subscription.model_validate(view.as_json())


def _delivery(view: DeliveryView) -> Delivery:
    return Delivery.model_validate(view.as_json())


@bp.post("/webhooks", tags=TAG, responses={201: SubscriptionCreated})
@requires("webhooks:manage")
def create_webhook(body: SubscriptionBody, header: IdempotencyHeader) -> Response:
    """Subscribe a URL to events; the answer holds the secret, once. A repeat with
    the same ``Idempotency-Key`` replays that first answer verbatim, secret included
    (the one request that was told it), and creates nothing."""

    def make(session: Session) -> Made:
        view, secret = create_subscription(
            session,
            url=str(body.url),
            events=body.events,
            secret=body.secret,
            description=body.description,
            now=services().engine.clock.now(),
        )
        created = SubscriptionCreated.model_validate(view.as_json() | {"secret": secret})
        return 201, created, {"Location": url_for("api.get_webhook", webhook_id=view.id)}

    return changing(make)


@bp.get("/webhooks", tags=TAG, responses={200: SubscriptionList})
@requires("webhooks:manage")
def list_webhooks() -> Response:
    """Every subscription, oldest first (secrets are never shown again)."""
    with read_session() as session:
        views = WebhookStore(session).subscriptions()
    return json_response(SubscriptionList(items=[_subscription(v) for v in views]))


@bp.get("/webhooks/<uuid:webhook_id>", tags=TAG, responses={200: Subscription})
@requires("webhooks:manage")
def get_webhook(path: WebhookPath) -> Response:
    with read_session() as session:
        view = WebhookStore(session).subscription(path.webhook_id)
    return json_response(_subscription(view))


@bp.patch("/webhooks/<uuid:webhook_id>", tags=TAG, responses={200: Subscription})
@requires("webhooks:manage")
def change_webhook(path: WebhookPath, body: SubscriptionPatch) -> Response:
    """Change the URL, events, secret or description; ``active: true`` re-enables."""
    with unit_of_work() as session:
        view = update_subscription(
            session,
            path.webhook_id,
            now=services().engine.clock.now(),
            url=str(body.url) if body.url is not None else None,
            events=body.events,
            secret=body.secret,
            description=body.description,
            active=body.active,
        )
    return json_response(_subscription(view))


@bp.delete("/webhooks/<uuid:webhook_id>", tags=TAG, responses={204: None})
@requires("webhooks:manage")
def delete_webhook(path: WebhookPath) -> Response:
    """Delete the subscription and its delivery log."""
    with unit_of_work() as session:
        WebhookStore(session).delete_subscription(path.webhook_id)
    return Response(status=204)


@bp.get("/webhooks/<uuid:webhook_id>/deliveries", tags=TAG, responses={200: DeliveryPage})
@requires("webhooks:manage")
def webhook_deliveries(path: WebhookPath, query: DeliveriesQuery) -> Response:
    """The delivery log, newest first, each delivery with its attempts."""
    with read_session() as session:
        views = WebhookStore(session).deliveries(
            path.webhook_id, limit=query.limit + 1, before=query.before
        )
    more = len(views) > query.limit
    views = views[: query.limit]
    cursor = str(views[-1].id) if more and views else None
    return json_response(DeliveryPage(items=[_delivery(v) for v in views], next_cursor=cursor))


@bp.post(
    "/webhooks/<uuid:webhook_id>/deliveries/<int:delivery_id>/retry",
    tags=TAG,
    responses={202: Delivery},
)
@requires("webhooks:manage")
def retry_delivery(path: DeliveryPath, header: IdempotencyHeader) -> Response:
    """Send a delivery again with the same webhook-id, on the worker's next round;
    with an ``Idempotency-Key``, a repeat replays the first answer and queues nothing."""

    def make(session: Session) -> Made:
        view = WebhookStore(session).redeliver(
            path.webhook_id, path.delivery_id, services().engine.clock.now()
        )
        return 202, _delivery(view), {}

    return changing(make)
