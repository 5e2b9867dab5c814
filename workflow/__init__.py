"""Civicflow's workflow engine: the public API.

Everything outside ``workflow/`` (the CLI, the web app, the worker, integrations)
imports from here and nowhere deeper; ``tests/test_public_api.py`` pins the list and
checks that no caller reaches a private path. The layers behind it (``language`` →
``runtime`` → ``store`` → ``engine``/``inbox``/``people``) are free to move.

Typical use::

    from workflow import Database, Engine, SystemClock

    db = Database(url)
    engine = Engine(clock=SystemClock())
    with db.transaction() as session:
        view = engine.start(session, workflow="building-permit", input={...}, actor=actor)
"""

from __future__ import annotations

from workflow.actors import SYSTEM, Actor, Assurance
from workflow.clock import Clock, FixedClock, SystemClock
from workflow.engine import TIMER_KINDS, Engine
from workflow.engine.bulk import MAX_BULK, BulkResult, bulk
from workflow.engine.events import (
    EVENT_TYPES,
    Emitted,
    InstanceCancelled,
    InstanceCompleted,
    InstanceEvent,
    InstanceStarted,
    OutboxEvent,
    TaskAssigned,
    TaskCancelled,
    TaskClaimed,
    TaskCompleted,
    TaskCreated,
    TaskDelegated,
    TaskEscalated,
    TaskEvent,
    TaskOverdue,
    TaskPrioritized,
    TaskReminded,
    TaskUnclaimed,
    event_schema,
    event_schemas,
)
from workflow.errors import (
    BusyError,
    CivicflowError,
    ConflictError,
    DefinitionError,
    ExpressionError,
    FieldError,
    ForbiddenError,
    InvalidDataError,
    InvariantError,
    NotFoundError,
    Problem,
    StoredContentError,
)
from workflow.inbox.attachments import AttachmentContent, open_attachment
from workflow.inbox.case_notes import case_attachments, case_comments
from workflow.inbox.lookup import (
    InstancePage,
    definition_source,
    definition_versions,
    departments,
    find_instance,
    find_task,
    search_instances,
)
from workflow.inbox.preferences import InboxPreferences, queue_counts
from workflow.inbox.query import (
    MAX_LIMIT,
    SORTS,
    VIEWS,
    InboxPage,
    InboxQuery,
    inbox,
    inbox_statement,
)
from workflow.language.compiler import compile_definition
from workflow.language.graph import to_dot, to_mermaid
from workflow.language.loader import Document, load_document
from workflow.language.spec import WebhookTrigger, WorkflowSpec
from workflow.people.directory import Directory, load_directory, parse_directory
from workflow.people.pending_actions import PendingAction, PendingActions
from workflow.people.registry import People
from workflow.people.sign_ins import SignIns, SignInSession
from workflow.people.tokens import TOKEN_SCOPES, ApiTokens, TokenInfo
from workflow.runtime.audit import AuditFinding
from workflow.runtime.permissions import COMMANDS, Reason, Refusal, TaskPermissions
from workflow.store.audit_verify import verify_audit
from workflow.store.database import Database
from workflow.store.definition_files import load_definition, read_definition, validate_paths
from workflow.store.files import AttachmentStore
from workflow.store.idempotency import IdempotencyKeys, StoredResponse
from workflow.store.jobs import Claim, FailedJob, JobQueue
from workflow.store.notifications import Notification, NotificationQueue
from workflow.store.webhooks import (
    Attempt,
    DeliveryClaim,
    DeliveryView,
    SubscriptionView,
    WebhookStore,
    event_matches,
)
from workflow.views import (
    AttachmentView,
    AuditEntry,
    CommentView,
    DefinitionInfo,
    InstanceView,
    TaskView,
)

__all__ = [
    "COMMANDS",
    "EVENT_TYPES",
    "MAX_BULK",
    "MAX_LIMIT",
    "SORTS",
    "SYSTEM",
    "TIMER_KINDS",
    "TOKEN_SCOPES",
    "VIEWS",
    "Actor",
    "ApiTokens",
    "Assurance",
    "AttachmentContent",
    "AttachmentStore",
    "AttachmentView",
    "Attempt",
    "AuditEntry",
    "AuditFinding",
    "BulkResult",
    "BusyError",
    "CivicflowError",
    "Claim",
    "Clock",
    "CommentView",
    "ConflictError",
    "Database",
    "DefinitionError",
    "DefinitionInfo",
    "DeliveryClaim",
    "DeliveryView",
    "Directory",
    "Document",
    "Emitted",
    "Engine",
    "ExpressionError",
    "FailedJob",
    "FieldError",
    "FixedClock",
    "ForbiddenError",
    "IdempotencyKeys",
    "InboxPage",
    "InboxPreferences",
    "InboxQuery",
    "InstanceCancelled",
    "InstanceCompleted",
    "InstanceEvent",
    "InstancePage",
    "InstanceStarted",
    "InstanceView",
    "InvalidDataError",
    "InvariantError",
    "JobQueue",
    "NotFoundError",
    "Notification",
    "NotificationQueue",
    "OutboxEvent",
    "PendingAction",
    "PendingActions",
    "People",
    "Problem",
    "Reason",
    "Refusal",
    "SignInSession",
    "SignIns",
    "StoredContentError",
    "StoredResponse",
    "SubscriptionView",
    "SystemClock",
    "TaskAssigned",
    "TaskCancelled",
    "TaskClaimed",
    "TaskCompleted",
    "TaskCreated",
    "TaskDelegated",
    "TaskEscalated",
    "TaskEvent",
    "TaskOverdue",
    "TaskPermissions",
    "TaskPrioritized",
    "TaskReminded",
    "TaskUnclaimed",
    "TaskView",
    "TokenInfo",
    "WebhookStore",
    "WebhookTrigger",
    "WorkflowSpec",
    "bulk",
    "case_attachments",
    "case_comments",
    "compile_definition",
    "definition_source",
    "definition_versions",
    "departments",
    "event_matches",
    "event_schema",
    "event_schemas",
    "find_instance",
    "find_task",
    "inbox",
    "inbox_statement",
    "load_definition",
    "load_directory",
    "load_document",
    "open_attachment",
    "parse_directory",
    "queue_counts",
    "read_definition",
    "search_instances",
    "to_dot",
    "to_mermaid",
    "validate_paths",
    "verify_audit",
]
