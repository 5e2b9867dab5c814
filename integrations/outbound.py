"""Outbound webhooks: the engine's outbox, delivered to subscribers after commit.

``DeliveryRunner.run_once`` is what the worker calls each round:

1. **dispatch** (one transaction) — committed outbox rows become one delivery per
   matching active subscription (``WebhookStore.dispatch``);
2. **claim** (one transaction) — due deliveries that head their (subscription,
   instance) line are leased, so events of one instance arrive in order;
3. **send** (no transaction open) — each is POSTed as Standard Webhooks JSON
   ``{"type", "timestamp", "data"}``, signed with the subscription's secret and
   ``webhook-id`` = the delivery's message id (the same on every attempt, so a
   receiver de-duplicates), through ``Egress`` (10 s timeout, no private addresses);
4. **finish** (one transaction per delivery) — the attempt is logged and the
   delivery is delivered (2xx), retried, or failed.

Retries: exponential backoff from 30 s, doubling to at most 6 h, with jitter (each
delay is drawn between half and all of it, so receivers recovering from an outage are
not hit by every sender at once), until 3 days after the event; then the delivery
fails. ``Retry-After`` on 429 or 503 sets the next attempt instead (at most a day
ahead). ``410 Gone`` disables the subscription. An address the egress guard refuses
fails the delivery at once: retrying would not change the answer.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from sqlalchemy.orm import Session

from integrations.egress import Egress, EgressRefusedError, Reply
from integrations.signatures import new_secret, secret_key, signed_headers
from workflow import (
    Attempt,
    Clock,
    Database,
    DeliveryClaim,
    FieldError,
    InvalidDataError,
    SubscriptionView,
    SystemClock,
    WebhookStore,
)

__all__ = [
    "DeliveryRunner",
    "RetryPolicy",
    "check_events",
    "check_url",
    "create_subscription",
    "update_subscription",
]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

EVENT_PATTERN = re.compile(r"^(\*|[a-z0-9_-]+(\.[a-z0-9_-]+)*(\.\*)?)$")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=6)
    horizon: timedelta = timedelta(days=3)
    max_retry_after: timedelta = timedelta(days=1)

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        """The wait after the ``attempts``-th failed attempt: full backoff, half jittered."""
        full: timedelta = min(self.cap, self.base * (2 ** min(attempts - 1, 30)))
        return full / 2 + full / 2 * rng.random()


# -- subscriptions ---------------------------------------------------------------------------


def check_url(url: object) -> str:
    if not isinstance(url, str) or len(url) > 2000:
        raise InvalidDataError("url must be text of at most 2000 characters")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise InvalidDataError(
            f"url is not a URL: {error}", errors=[FieldError("/url", str(error))]
        ) from error
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InvalidDataError(
            "url must be an absolute http or https URL",
            errors=[FieldError("/url", "an absolute http or https URL")],
        )
    return url


def check_events(events: object) -> tuple[str, ...]:
    if not isinstance(events, list | tuple) or not events:
        raise InvalidDataError(
            "events must be a non-empty list", errors=[FieldError("/events", "a non-empty list")]
        )
    for index, name in enumerate(events):
        if not isinstance(name, str) or len(name) > 100 or not EVENT_PATTERN.match(name):
            message = "an event name (task.created), a prefix wildcard (task.*) or *"
            raise InvalidDataError(
                f"events[{index}] must be {message}",
                errors=[FieldError(f"/events/{index}", message)],
            )
    return tuple(events)


def create_subscription(
    session: Session,
    *,
    url: object,
    events: object,
    secret: str | None = None,
    description: str = "",
    now: datetime,
) -> tuple[SubscriptionView, str]:
    """A new subscription and its secret (generated when not given); the caller shows
    the secret once: it is never returned again."""
    secret = _check_secret(secret) if secret else new_secret()
    view = WebhookStore(session).create_subscription(
        url=check_url(url),
        events=check_events(events),
        secret=secret,
        description=description[:300],
        now=now,
    )
    return view, secret


def update_subscription(
    session: Session,
    subscription_id: uuid.UUID,
    *,
    now: datetime,
    url: object = None,
    events: object = None,
    secret: str | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> SubscriptionView:
    return WebhookStore(session).update_subscription(
        subscription_id,
        now,
        url=check_url(url) if url is not None else None,
        events=check_events(events) if events is not None else None,
        secret=_check_secret(secret) if secret is not None else None,
        description=description[:300] if description is not None else None,
        active=active,
    )


def _check_secret(secret: str) -> str:
    try:
        key = secret_key(secret)
    except ValueError as error:
        raise InvalidDataError(str(error), errors=[FieldError("/secret", str(error))]) from error
    if len(key) < 24 or not secret.startswith("whsec_"):
        raise InvalidDataError(
            "secret must be 'whsec_' and base64 of at least 24 random bytes",
            errors=[FieldError("/secret", "whsec_ and at least 24 bytes")],
        )
    return secret


# -- delivery ---------------------------------------------------------------------------------


class DeliveryRunner:
    """Dispatches the outbox and sends due deliveries; one per worker thread."""

    def __init__(
        self,
        db: Database,
        egress: Egress,
        *,
        clock: Clock | None = None,
        policy: RetryPolicy | None = None,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 20,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.egress = egress
        self.clock: Clock = clock or SystemClock()
        self.policy = policy or RetryPolicy()
        self.lease = lease
        self.batch = batch
        self.rng = rng or random.Random()

    def run_once(self) -> int:
        """One round; returns outbox rows dispatched plus deliveries attempted."""
        now = self.clock.now()
        with self.db.transaction() as session:
            dispatched = self._store(session).dispatch(now)
        with self.db.transaction() as session:
            claims = self._store(session).claim(now, lease=self.lease, limit=self.batch)
        for claim in claims:
            self.deliver(claim)
        return dispatched + len(claims)

    def drain(self, rounds: int = 1000) -> int:
        """Rounds until nothing is due (tests, ``worker --once``)."""
        total = 0
        for _ in range(rounds):
            done = self.run_once()
            if not done:
                break
            total += done
        return total

    def _store(self, session: Session) -> WebhookStore:
        return WebhookStore(session, row_locks=self.db.supports_row_locks)

    def deliver(self, claim: DeliveryClaim) -> None:
        body = json.dumps(claim.payload, separators=(",", ":"), default=str).encode()
        headers = signed_headers(
            [claim.secret], claim.message_id, int(self.clock.now().timestamp()), body
        )
        headers |= {"content-type": "application/json", "user-agent": "Civicflow-Webhooks/1"}
        started = time.monotonic()
        reply: Reply | None = None
        error: str | None = None
        refused = False
        try:
            reply = self.egress.post(claim.url, body, headers)
        except EgressRefusedError as refusal:
            error, refused = str(refusal), True
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:500]
        now = self.clock.now()
        attempt = Attempt(
            at=now,
            status=reply.status if reply else None,
            duration_ms=int((time.monotonic() - started) * 1000),
            error=error[:500] if error else None,
            response_excerpt=reply.excerpt if reply else None,
        )
        outcome, next_at, disable = self._decide(claim, reply, refused, now)
        with self.db.transaction() as session:
            kept = self._store(session).finish(
                claim, attempt, outcome=outcome, next_attempt_at=next_at, disable_reason=disable
            )
        if not kept:
            log.warning("delivery %s: lease lost before its result was stored", claim.id)

    def _decide(
        self, claim: DeliveryClaim, reply: Reply | None, refused: bool, now: datetime
    ) -> tuple[str, datetime | None, str | None]:
        if reply is not None and 200 <= reply.status < 300:
            return "delivered", None, None
        if refused:
            return "failed", None, None
        if reply is not None and reply.status == 410:
            return "failed", None, "the receiver answered 410 Gone"
        next_at = now + self.policy.delay(claim.attempts, self.rng)
        if reply is not None and reply.status in (429, 503):
            wait = _retry_after(reply.headers.get("retry-after"), now)
            if wait is not None:
                next_at = now + min(wait, self.policy.max_retry_after)
        if next_at > claim.created_at + self.policy.horizon:
            return "failed", None, None
        return "retry", next_at, None


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    """``Retry-After`` as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(timedelta(0), moment - now)
