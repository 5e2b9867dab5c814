"""Webhook persistence: inbound receipts, outbound subscriptions and deliveries.

No HTTP here (``integrations/`` sends and receives); this is what those adapters
store, in the caller's transaction:

- **receipts** — an inbound message that took effect, keyed by (source,
  ``webhook-id``), inserted with its answer in the transaction of the effect; a
  concurrent repeat fails on the key and rolls back (its sender retries and reads the
  first answer).
- **dispatch** — turns committed outbox rows into one delivery per matching active
  subscription and marks the rows published. Rows are read in id order; the rows
  of one instance are committed in id order (each change holds the instance row), so
  a delivery's ``(outbox_id, position)`` is its instance's event order.
- **claim / finish** — a delivery is sent only when no earlier delivery of the same
  instance to the same subscription is still pending: events arrive in order per
  instance, and a failing one holds back only its own instance's later events.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, insert, select, update
from sqlalchemy.orm import Session, aliased

from workflow.errors import NotFoundError
from workflow.store.models import (
    OutboxRow,
    WebhookAttemptRow,
    WebhookDeliveryRow,
    WebhookReceiptRow,
    WebhookSubscriptionRow,
)

__all__ = [
    "Attempt",
    "DeliveryClaim",
    "DeliveryView",
    "SubscriptionView",
    "WebhookStore",
    "event_matches",
]

PENDING = ("pending", "sending")
_RECEIPT = select(WebhookReceiptRow.status, WebhookReceiptRow.response).where(
    WebhookReceiptRow.source == bindparam("source"),
    WebhookReceiptRow.webhook_id == bindparam("webhook_id"),
)
_INSERT_RECEIPT = insert(WebhookReceiptRow)


def event_matches(patterns: Sequence[str], event_type: str) -> bool:
    """``*`` matches every event, ``task.*`` every ``task.`` event, others exactly."""
    return any(
        p in ("*", event_type) or (p.endswith(".*") and event_type.startswith(p[:-1]))
        for p in patterns
    )


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    id: uuid.UUID
    url: str
    events: tuple[str, ...]
    description: str
    active: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "url": self.url,
            "events": list(self.events),
            "description": self.description,
            "active": self.active,
            "disabled_reason": self.disabled_reason,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Attempt:
    at: datetime
    status: int | None
    duration_ms: int
    error: str | None
    response_excerpt: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "status": self.status,
            "duration_ms": self.duration_ms,
            "error": self.error,
            "response_excerpt": self.response_excerpt,
        }


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: int
    message_id: str
    event_type: str
    instance_id: uuid.UUID | None
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    log: tuple[Attempt, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "event_type": self.event_type,
            "instance_id": str(self.instance_id) if self.instance_id else None,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "created_at": self.created_at.isoformat(),
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
            "log": [a.as_json() for a in self.log],
        }


@dataclass(frozen=True, slots=True)
class DeliveryClaim:
    """What a sender needs for one attempt, and the fencing token (``attempts``)."""

    id: int
    subscription_id: uuid.UUID
    url: str
    secret: str
    message_id: str
    event_type: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


class WebhookStore:
    def __init__(self, session: Session, *, row_locks: bool = False) -> None:
        self.session = session
        self.row_locks = row_locks  # PostgreSQL: FOR UPDATE [SKIP LOCKED]

    # -- inbound receipts -----------------------------------------------------------------

    def receipt(self, source: str, message_id: str) -> tuple[int, dict[str, Any]] | None:
        row = (
            self.session.connection()
            .execute(_RECEIPT, {"source": source, "webhook_id": message_id})
            .one_or_none()
        )
        return None if row is None else (row.status, dict(row.response))

    def add_receipt(
        self,
        source: str,
        message_id: str,
        now: datetime,
        status: int,
        response: dict[str, Any],
    ) -> None:
        """Store the message's answer with its effect (same transaction). A concurrent
        repeat inserting the same key waits for this transaction and then fails with
        ``IntegrityError``, rolling back its own effect: each message acts once."""
        self.session.connection().execute(
            _INSERT_RECEIPT,
            {
                "source": source,
                "webhook_id": message_id,
                "received_at": now,
                "status": status,
                "response": response,
            },
        )

    # -- subscriptions ----------------------------------------------------------------------

    def create_subscription(
        self, *, url: str, events: Sequence[str], secret: str, description: str, now: datetime
    ) -> SubscriptionView:
        row = WebhookSubscriptionRow(
            id=uuid.uuid4(),
            url=url,
            events=list(events),
            secret=secret,
            description=description,
            active=True,
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return _subscription(row)

    def subscriptions(self) -> list[SubscriptionView]:
        rows = self.session.scalars(
            select(WebhookSubscriptionRow).order_by(
                WebhookSubscriptionRow.created_at, WebhookSubscriptionRow.id
            )
        )
        return [_subscription(row) for row in rows]

    def subscription(self, subscription_id: uuid.UUID) -> SubscriptionView:
        return _subscription(self._subscription(subscription_id))

    def update_subscription(
        self, subscription_id: uuid.UUID, now: datetime, **changes: Any
    ) -> SubscriptionView:
        """Change ``url``, ``events``, ``description``, ``secret`` or ``active``;
        re-activating clears the reason it was disabled."""
        row = self._subscription(subscription_id)
        for key, value in changes.items():
            if value is not None:
                setattr(row, key, list(value) if key == "events" else value)
        if changes.get("active"):
            row.disabled_reason = None
        row.updated_at = now
        self.session.flush()
        return _subscription(row)

    def delete_subscription(self, subscription_id: uuid.UUID) -> None:
        row = self._subscription(subscription_id)
        ids = select(WebhookDeliveryRow.id).where(
            WebhookDeliveryRow.subscription_id == subscription_id
        )
        self.session.execute(
            delete(WebhookAttemptRow).where(WebhookAttemptRow.delivery_id.in_(ids))
        )
        self.session.execute(
            delete(WebhookDeliveryRow).where(WebhookDeliveryRow.subscription_id == subscription_id)
        )
        self.session.delete(row)
        self.session.flush()

    def _subscription(self, subscription_id: uuid.UUID) -> WebhookSubscriptionRow:
        row = self.session.get(WebhookSubscriptionRow, subscription_id)
        if row is None:
            raise NotFoundError("no such webhook subscription", subscription=str(subscription_id))
        return row

    # -- deliveries -------------------------------------------------------------------------

    def dispatch(self, now: datetime, *, limit: int = 200) -> int:
        """Fan committed outbox rows out to matching active subscriptions; returns the
        number of outbox rows published."""
        query = (
            select(OutboxRow)
            .where(OutboxRow.published_at.is_(None))
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        if self.row_locks:
            query = query.with_for_update()
        rows = list(self.session.scalars(query))
        if not rows:
            return 0
        subscriptions = list(
            self.session.scalars(
                select(WebhookSubscriptionRow).where(WebhookSubscriptionRow.active.is_(True))
            )
        )
        deliveries: list[dict[str, Any]] = []
        for row in rows:
            for position, event in enumerate(row.events):
                kind = str(event.get("type", ""))
                for sub in subscriptions:
                    if not event_matches(sub.events, kind):
                        continue
                    deliveries.append(
                        {
                            "subscription_id": sub.id,
                            "message_id": f"msg_{row.id}_{position}",
                            "outbox_id": row.id,
                            "position": position,
                            "instance_id": row.instance_id,
                            "event_type": kind[:100],
                            "payload": {
                                "type": kind,
                                "timestamp": row.created_at.isoformat(),
                                "data": event,
                            },
                            "status": "pending",
                            "attempts": 0,
                            "next_attempt_at": now,
                            "created_at": now,
                        }
                    )
        if deliveries:
            self.session.execute(insert(WebhookDeliveryRow), deliveries)
        self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_([r.id for r in rows]))
            .values(published_at=now)
            .execution_options(synchronize_session=False)
        )
        return len(rows)

    def claim(self, now: datetime, *, lease: timedelta, limit: int) -> list[DeliveryClaim]:
        """Lease due deliveries that head their (subscription, instance) line."""
        earlier = aliased(WebhookDeliveryRow)
        d = WebhookDeliveryRow
        ahead = exists().where(
            earlier.subscription_id == d.subscription_id,
            earlier.instance_id == d.instance_id,
            earlier.status.in_(PENDING),
            (earlier.outbox_id < d.outbox_id)
            | and_(earlier.outbox_id == d.outbox_id, earlier.position < d.position),
        )
        due = (d.status == "pending") & (d.next_attempt_at <= now) | (d.status == "sending") & (
            d.lease_until < now
        )
        query = (
            select(d.id)
            .join(WebhookSubscriptionRow, WebhookSubscriptionRow.id == d.subscription_id)
            .where(due, WebhookSubscriptionRow.active.is_(True), ~ahead)
            .order_by(d.next_attempt_at, d.id)
            .limit(limit)
        )
        if self.row_locks:
            query = query.with_for_update(of=d, skip_locked=True)
        ids = list(self.session.scalars(query))
        if not ids:
            return []
        self.session.execute(
            update(d)
            .where(d.id.in_(ids))
            .values(status="sending", lease_until=now + lease, attempts=d.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        rows = self.session.execute(
            select(d, WebhookSubscriptionRow.url, WebhookSubscriptionRow.secret)
            .join(WebhookSubscriptionRow, WebhookSubscriptionRow.id == d.subscription_id)
            .where(d.id.in_(ids))
            .order_by(d.next_attempt_at, d.id)
            .execution_options(populate_existing=True)
        ).all()
        return [
            DeliveryClaim(
                id=row.id,
                subscription_id=row.subscription_id,
                url=url,
                secret=secret,
                message_id=row.message_id,
                event_type=row.event_type,
                payload=dict(row.payload),
                attempts=row.attempts,
                created_at=row.created_at,
            )
            for row, url, secret in rows
        ]

    def finish(
        self,
        claim: DeliveryClaim,
        attempt: Attempt,
        *,
        outcome: str,
        next_attempt_at: datetime | None = None,
        disable_reason: str | None = None,
    ) -> bool:
        """Record one attempt: ``delivered``, ``retry`` (at ``next_attempt_at``) or
        ``failed``; ``disable_reason`` also disables the subscription. False when the
        claim was lost (another worker re-leased the delivery): nothing is written."""
        d = WebhookDeliveryRow
        values: dict[str, Any] = {
            "last_status": attempt.status,
            "last_error": attempt.error,
            "lease_until": None,
        }
        if outcome == "delivered":
            values |= {"status": "delivered", "delivered_at": attempt.at}
        elif outcome == "retry":
            assert next_attempt_at is not None
            values |= {"status": "pending", "next_attempt_at": next_attempt_at}
        else:
            values |= {"status": "failed"}
        result = self.session.execute(
            update(d)
            .where(d.id == claim.id, d.status == "sending", d.attempts == claim.attempts)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        self.session.add(
            WebhookAttemptRow(
                delivery_id=claim.id,
                at=attempt.at,
                status=attempt.status,
                duration_ms=attempt.duration_ms,
                error=attempt.error,
                response_excerpt=attempt.response_excerpt,
            )
        )
        if disable_reason is not None:
            self.session.execute(
                update(WebhookSubscriptionRow)
                .where(WebhookSubscriptionRow.id == claim.subscription_id)
                .values(active=False, disabled_reason=disable_reason[:300], updated_at=attempt.at)
                .execution_options(synchronize_session=False)
            )
        return True

    def deliveries(
        self, subscription_id: uuid.UUID, *, limit: int = 50, before: int | None = None
    ) -> list[DeliveryView]:
        """The subscription's delivery log, newest first, each with its attempts."""
        self._subscription(subscription_id)
        query = select(WebhookDeliveryRow).where(
            WebhookDeliveryRow.subscription_id == subscription_id
        )
        if before is not None:
            query = query.where(WebhookDeliveryRow.id < before)
        rows = list(self.session.scalars(query.order_by(WebhookDeliveryRow.id.desc()).limit(limit)))
        attempts: dict[int, list[Attempt]] = {}
        if rows:
            for a in self.session.scalars(
                select(WebhookAttemptRow)
                .where(WebhookAttemptRow.delivery_id.in_([r.id for r in rows]))
                .order_by(WebhookAttemptRow.id)
            ):
                attempts.setdefault(a.delivery_id, []).append(
                    Attempt(a.at, a.status, a.duration_ms, a.error, a.response_excerpt)
                )
        return [_delivery(row, attempts.get(row.id, [])) for row in rows]

    def redeliver(
        self, subscription_id: uuid.UUID, delivery_id: int, now: datetime
    ) -> DeliveryView:
        """Send a delivery again (same ``webhook-id``), whatever its status; a
        disabled subscription must be re-activated first."""
        row = self.session.get(WebhookDeliveryRow, delivery_id)
        if row is None or row.subscription_id != subscription_id:
            raise NotFoundError(
                "no such delivery for this subscription",
                subscription=str(subscription_id),
                delivery=delivery_id,
            )
        row.status = "pending"
        row.next_attempt_at = now
        row.created_at = now  # the retry horizon starts again
        row.lease_until = None
        self.session.flush()
        return _delivery(row, [])


def _subscription(row: WebhookSubscriptionRow) -> SubscriptionView:
    return SubscriptionView(
        id=row.id,
        url=row.url,
        events=tuple(row.events),
        description=row.description,
        active=row.active,
        disabled_reason=row.disabled_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _delivery(row: WebhookDeliveryRow, log: Sequence[Attempt]) -> DeliveryView:
    return DeliveryView(
        id=row.id,
        message_id=row.message_id,
        event_type=row.event_type,
        instance_id=row.instance_id,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        log=tuple(log),
    )
