"""The database schema, as typed SQLAlchemy 2 mapped classes.

Rows are persistence, not the engine's vocabulary: the runtime decides on compiled
specs and plain values, and ``workflow.store.repository`` turns its decisions into
rows. Migrations in ``workflow/store/migrations`` must match these classes (a test
compares them).

Conventions: every timestamp is UTC (stored naive, returned aware); ids the public
sees are UUIDs (no enumeration, no collisions across databases); ``version`` columns
give optimistic locking, so a stale write fails instead of silently winning.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false
from sqlalchemy.types import TypeDecorator

__all__ = [
    "ApiTokenRow",
    "AttachmentRow",
    "AuditRow",
    "AuditStreamRow",
    "Base",
    "CommentRow",
    "DefinitionRow",
    "DepartmentRow",
    "IdempotencyRow",
    "InboxPreferenceRow",
    "InputFieldRow",
    "InstanceRow",
    "JobRow",
    "KeptEventRow",
    "LogoutTokenRow",
    "MembershipRow",
    "NotificationRow",
    "OutboxRow",
    "PendingActionRow",
    "QueueRow",
    "SignInSessionRow",
    "SubstituteRow",
    "TaskRow",
    "UserRow",
    "WebhookAttemptRow",
    "WebhookDeliveryRow",
    "WebhookReceiptRow",
    "WebhookSubscriptionRow",
]

BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, naive UTC in the column.

    Both SQLite and PostgreSQL then store the same value, which keeps audit hashes
    identical across databases.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use datetime.now(UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime}


class DefinitionRow(Base):
    """One *version* of a workflow definition: its source and identity."""

    __tablename__ = "definitions"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        UniqueConstraint("key", "content_hash"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(Text)
    source_path: Mapped[str] = mapped_column(String(500))
    registered_at: Mapped[datetime]
    registered_by: Mapped[str] = mapped_column(String(320))


class InstanceRow(Base):
    """A running (or finished) workflow, pinned to one definition version."""

    __tablename__ = "instances"
    __table_args__ = (UniqueConstraint("workflow_key", "business_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"), index=True)
    workflow_key: Mapped[str] = mapped_column(String(100))
    business_key: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))  # running | completed | cancelled
    input: Mapped[dict[str, Any]]
    data: Mapped[dict[str, Any]]
    outcomes: Mapped[dict[str, Any]]  # {parallel state: {branch: action}}
    last_form: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(320))
    sla_due_at: Mapped[datetime | None]  # the case's deadline (definition ``sla``)
    sla_paused_at: Mapped[datetime | None]  # set while the SLA clock is stopped
    sla_overdue: Mapped[bool] = mapped_column(default=False, server_default=false())
    audit_seq: Mapped[int] = mapped_column(default=0)
    audit_head: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class InputFieldRow(Base):
    """One scalar field of an instance's input, for the inbox's business-data filters
    (``workflow.store.fields`` says how values are written). The primary key is the
    lookup: field name and value to instances."""

    __tablename__ = "instance_fields"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(210), primary_key=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instances.id"), primary_key=True)


# the inbox's sort orders (workflow.inbox.query), each ending in the id that makes it total
_ORDERS = (
    ("due", ("due_at", "id")),
    ("created", ("created_at", "id")),
    ("priority", ("priority", "due_at", "id")),
)


def _partial(name: str, *columns: Any, status: str = "open", person: str | None = None) -> Index:
    """An index over the tasks of one ``status`` only (and, for a per-person index,
    only rows that name a person), on SQLite and PostgreSQL alike."""
    where = f"status = '{status}'" + (f" AND {person} IS NOT NULL" if person else "")
    return Index(name, *columns, postgresql_where=text(where), sqlite_where=text(where))


class TaskRow(Base):
    """A unit of human work in a shared queue (one per task state or parallel branch)."""

    __tablename__ = "tasks"
    # The inbox (``workflow.inbox.query``) reads open tasks per queue or per person in one of
    # three orders, and completed tasks per person newest first. Each index below is
    # one of those orders, partial so it holds only the rows that view can show: the
    # open ones are a tenth of the table or less, and most open tasks have no assignee
    # and nearly all no delegate. Ending every key with ``id`` makes the order total, so keyset
    # pagination is an index range scan.
    __table_args__ = (
        Index(None, "instance_id", "status"),
        *(
            _partial(f"ix_tasks_open_queue_{order}", "queue", *columns)
            for order, columns in _ORDERS
        ),
        *(
            _partial(f"ix_tasks_open_{person}_{order}", person, *columns, person=person)
            for person in ("assignee", "delegate")
            for order, columns in _ORDERS
        ),
        _partial("ix_tasks_completed_by", "completed_by", "completed_at", "id", status="completed"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instances.id"))
    workflow_key: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(100))
    branch: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    queue: Mapped[str] = mapped_column(String(201))
    actions: Mapped[list[Any]]
    status: Mapped[str] = mapped_column(String(20))  # open | completed | cancelled
    priority: Mapped[int] = mapped_column(default=0)
    assignee: Mapped[str | None] = mapped_column(String(320))
    delegate: Mapped[str | None] = mapped_column(String(320), index=True)
    due_at: Mapped[datetime | None]
    overdue: Mapped[bool] = mapped_column(default=False, server_default=false())
    escalated_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(320))
    on_behalf_of: Mapped[str | None] = mapped_column(String(320))
    outcome: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class AuditRow(Base):
    """One audited change, hash-chained to the previous record of the same stream.

    A stream is one instance (``instance:<uuid>``) or one other audited thing
    (``definition:<key>``). ``seq`` numbers a stream's records from 1 without gaps.
    """

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("stream", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    stream: Mapped[str] = mapped_column(String(150))
    seq: Mapped[int]
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(320))
    actor_idp: Mapped[str] = mapped_column(String(100))
    on_behalf_of: Mapped[str | None] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(100))
    instance_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    task_id: Mapped[uuid.UUID | None]
    state_before: Mapped[str | None] = mapped_column(String(100))
    state_after: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditStreamRow(Base):
    """Head of an audit stream that has no instance row to carry it."""

    __tablename__ = "audit_streams"

    stream: Mapped[str] = mapped_column(String(150), primary_key=True)
    seq: Mapped[int]
    head: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class OutboxRow(Base):
    """Events of one committed change, published after commit (transactional outbox)."""

    __tablename__ = "outbox"
    __table_args__ = (Index(None, "published_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime]
    instance_id: Mapped[uuid.UUID | None]
    events: Mapped[list[Any]]
    published_at: Mapped[datetime | None]


class JobRow(Base):
    """A timer or a delivery due at ``due_at``; workers lease and complete them."""

    __tablename__ = "jobs"
    __table_args__ = (Index(None, "status", "due_at"), Index(None, "instance_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))  # pending|running|done|failed|cancelled
    instance_id: Mapped[uuid.UUID | None]
    task_id: Mapped[uuid.UUID | None]
    payload: Mapped[dict[str, Any]]
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class UserRow(Base):
    """A person. Signed-in people are identified by (issuer, subject); people known
    only from the directory file have issuer ``directory`` and their e-mail as subject."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SignInSessionRow(Base):
    """A browser session opened by signing in through an identity provider.

    Kept server-side so back-channel logout can end a person's sessions and idle and
    absolute timeouts are enforced by the server; the cookie holds only a random
    token whose SHA-256 is ``id``. ``sid`` is the provider's session id (from the ID
    token), which its logout token names. ``acr``/``amr``/``auth_time`` are what the
    last (step-up) authentication proved."""

    __tablename__ = "sign_in_sessions"
    __table_args__ = (Index(None, "issuer", "subject"), Index(None, "issuer", "sid"))

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    provider: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300))
    sid: Mapped[str | None] = mapped_column(String(300))
    acr: Mapped[str | None] = mapped_column(String(300))
    amr: Mapped[list[Any]]
    auth_time: Mapped[datetime | None]
    id_token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_why: Mapped[str | None] = mapped_column(String(100))


class PendingActionRow(Base):
    """An action a signed-in person submitted on a task that needs MFA, kept while
    they confirm their identity at their provider (step-up) and replayed once after.

    ``id`` is the SHA-256 of the random resume token (the token itself lives only in
    the resume URL); ``session_id`` binds it to the sign-in session that submitted it
    (``SignIns.step_up`` moves it along when the session gets its new id). ``data`` is
    what the engine will validate; ``shown`` is the form as typed, to fill it again."""

    __tablename__ = "pending_actions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    task_id: Mapped[uuid.UUID]
    task_version: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]]
    shown: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LogoutTokenRow(Base):
    """A back-channel logout token already used (its ``jti``), kept until it expires
    so a replayed token is refused."""

    __tablename__ = "logout_tokens"

    issuer: Mapped[str] = mapped_column(String(300), primary_key=True)
    jti: Mapped[str] = mapped_column(String(300), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class DepartmentRow(Base):
    __tablename__ = "departments"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))


class QueueRow(Base):
    """A shared inbox: ``department/group``."""

    __tablename__ = "queues"

    key: Mapped[str] = mapped_column(String(201), primary_key=True)
    department: Mapped[str] = mapped_column(ForeignKey("departments.key"))
    group: Mapped[str] = mapped_column(String(100))


class MembershipRow(Base):
    """A person's membership of a queue, and whether they lead it. ``source`` says
    where it came from (``directory`` or an identity provider's name), so a re-import
    or a sign-in replaces only its own memberships."""

    __tablename__ = "memberships"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    queue: Mapped[str] = mapped_column(String(201), primary_key=True, index=True)
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    lead: Mapped[bool] = mapped_column(default=False)


class SubstituteRow(Base):
    """While ``user`` is away (``starts_on``..``ends_on`` inclusive), ``substitute``
    works the tasks assigned to them, on their behalf."""

    __tablename__ = "substitutes"
    __table_args__ = (Index(None, "user_email", "starts_on"), Index(None, "substitute_email"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_email: Mapped[str] = mapped_column(String(320))
    substitute_email: Mapped[str] = mapped_column(String(320))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    created_at: Mapped[datetime]


class CommentRow(Base):
    __tablename__ = "comments"
    __table_args__ = (Index(None, "instance_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instances.id"))
    task_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tasks.id"))
    author: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[Any]]
    created_at: Mapped[datetime]


class AttachmentRow(Base):
    """A file attached to an instance (or one of its tasks); the bytes live in the
    attachment store under their SHA-256, never in the database."""

    __tablename__ = "attachments"
    __table_args__ = (Index(None, "instance_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instances.id"))
    task_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tasks.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]


class NotificationRow(Base):
    """A message to one person, queued in the transaction that caused it; the worker
    sends each recipient's pending notifications as one e-mail."""

    __tablename__ = "notifications"
    __table_args__ = (Index(None, "sent_at", "recipient"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    instance_id: Mapped[uuid.UUID | None]
    task_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class ApiTokenRow(Base):
    """An API token: only the SHA-256 of the secret is stored (the secret has 256 bits
    of entropy, so a plain hash is enough and lookup stays one index probe). A token
    acting for a person (``user_email``) is bound by that person's queues."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[Any]]
    user_email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class IdempotencyRow(Base):
    """The first response to a request sent with an ``Idempotency-Key``, stored in the
    transaction that made its effect, so a repeat replays it instead of acting again.
    ``fingerprint`` is a hash of method, path and body: the same key with another
    request is refused."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(150))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    response: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class KeptEventRow(Base):
    """A signal that arrived before its instance waited for it (definition ``events:
    {name: {keep: ...}}``); the engine delivers it when the instance enters a wait state
    for it, and ignores it after ``expires_at``."""

    __tablename__ = "kept_events"
    __table_args__ = (Index(None, "instance_id", "event"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instances.id"))
    event: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]]
    actor: Mapped[str] = mapped_column(String(320))
    actor_idp: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class WebhookReceiptRow(Base):
    """An inbound webhook that took effect, stored with that effect: a repeated
    ``webhook-id`` from the same source gets ``response`` back and changes nothing."""

    __tablename__ = "webhook_receipts"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime]
    status: Mapped[int]
    response: Mapped[dict[str, Any]]


class WebhookSubscriptionRow(Base):
    """An outbound subscription: events whose type matches one of ``events`` (``*``
    and ``prefix.*`` wildcards) are delivered to ``url``, signed with ``secret``."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[Any]]
    secret: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookDeliveryRow(Base):
    """One event for one subscription. ``message_id`` is the ``webhook-id`` every
    attempt carries, so a receiver de-duplicates retries. Deliveries of one instance
    to one subscription go out in ``(outbox_id, position)`` order."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index(None, "status", "next_attempt_at"),
        Index(None, "subscription_id", "instance_id", "outbox_id"),
        Index(None, "subscription_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    message_id: Mapped[str] = mapped_column(String(64))
    outbox_id: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int]
    instance_id: Mapped[uuid.UUID | None]
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20))  # pending|sending|delivered|failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))


class WebhookAttemptRow(Base):
    """One HTTP attempt of a delivery: the subscription's delivery log."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index(None, "delivery_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    at: Mapped[datetime]
    status: Mapped[int | None]  # HTTP status; None: no response (refused, timeout)
    duration_ms: Mapped[int]
    error: Mapped[str | None] = mapped_column(String(500))
    response_excerpt: Mapped[str | None] = mapped_column(String(1000))


class InboxPreferenceRow(Base):
    """A person's saved inbox: the view, filters and sort they chose (web UI)."""

    __tablename__ = "inbox_preferences"

    person: Mapped[str] = mapped_column(String(320), primary_key=True)
    settings: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
