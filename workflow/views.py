"""Read-only views the engine returns: what callers may rely on, never ORM rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "AttachmentView",
    "AuditEntry",
    "CommentView",
    "DefinitionInfo",
    "InstanceView",
    "TaskView",
]


@dataclass(frozen=True, slots=True)
class DefinitionInfo:
    id: int
    key: str
    version: int
    content_hash: str
    title: str
    source_path: str
    registered_at: datetime
    created: bool = False  # False when the same content was already registered


@dataclass(frozen=True, slots=True)
class TaskView:
    id: uuid.UUID
    instance_id: uuid.UUID
    workflow: str
    state: str
    branch: str | None
    title: str
    queue: str
    actions: tuple[str, ...]
    status: str
    priority: int
    assignee: str | None
    due_at: datetime | None
    created_at: datetime
    completed_at: datetime | None
    completed_by: str | None
    on_behalf_of: str | None
    outcome: str | None
    version: int

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "instance_id": str(self.instance_id),
            "workflow": self.workflow,
            "state": self.state,
            "branch": self.branch,
            "title": self.title,
            "queue": self.queue,
            "actions": list(self.actions),
            "status": self.status,
            "priority": self.priority,
            "assignee": self.assignee,
            "due_at": _iso(self.due_at),
            "created_at": _iso(self.created_at),
            "completed_at": _iso(self.completed_at),
            "completed_by": self.completed_by,
            "on_behalf_of": self.on_behalf_of,
            "outcome": self.outcome,
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    actor_idp: str
    on_behalf_of: str | None
    action: str
    state_before: str | None
    state_after: str | None
    task_id: uuid.UUID | None
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InstanceView:
    id: uuid.UUID
    workflow: str
    definition_version: int
    business_key: str | None
    state: str
    status: str
    input: dict[str, Any]
    data: dict[str, Any]
    created_at: datetime
    completed_at: datetime | None
    version: int
    tasks: tuple[TaskView, ...] = ()
    history: tuple[AuditEntry, ...] = ()
    kept: bool = False  # a signal was kept for later, not delivered (Engine.signal)

    def open_tasks(self) -> tuple[TaskView, ...]:
        return tuple(t for t in self.tasks if t.status == "open")


@dataclass(frozen=True, slots=True)
class CommentView:
    """A comment on an instance (``task_id`` None) or on one of its tasks."""

    id: uuid.UUID
    instance_id: uuid.UUID
    task_id: uuid.UUID | None
    author: str
    body: str
    mentions: tuple[str, ...]  # the known people it mentions, who were notified
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "instance_id": str(self.instance_id),
            "task_id": str(self.task_id) if self.task_id else None,
            "author": self.author,
            "body": self.body,
            "mentions": list(self.mentions),
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class AttachmentView:
    """A file attached to an instance or a task; its content is stored by ``sha256``
    (``AttachmentStore.read``)."""

    id: uuid.UUID
    instance_id: uuid.UUID
    task_id: uuid.UUID | None
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "instance_id": str(self.instance_id),
            "task_id": str(self.task_id) if self.task_id else None,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "uploaded_by": self.uploaded_by,
            "created_at": self.created_at.isoformat(),
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
