"""Bulk actions: claim, assign or act on a selection of tasks from the inbox.

Each task is its own unit of work (``Database.transaction()``): one task that was
completed by someone else meanwhile, or whose form data does not fit, is reported
and skipped, and the others still commit. A single transaction over the whole
selection would let one refusal undo ninety-nine legitimate actions, and would hold
locks on every instance involved until the last one was done.

This is the one place below the web layer that commits, because the per-item
transaction *is* the operation's contract; the caller passes the ``Database``, not a
session.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.actors import Actor
from workflow.engine import Engine
from workflow.errors import CivicflowError, InvalidDataError, NotFoundError
from workflow.inbox.lookup import find_task
from workflow.store.database import Database
from workflow.store.models import InstanceRow, TaskRow

__all__ = ["MAX_BULK", "OPERATIONS", "BulkResult", "bulk"]

OPERATIONS = ("claim", "assign", "act")
MAX_BULK = 500


@dataclass(frozen=True, slots=True)
class BulkResult:
    """What happened to one task. ``error`` is ``{"type": ..., "message": ...}`` (the
    error class, e.g. ``ConflictError``, and its message) when ``ok`` is false;
    ``instance_state`` is the state of the task's instance afterwards, when known."""

    task_id: uuid.UUID
    ok: bool
    error: dict[str, str] | None
    instance_state: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "task_id": str(self.task_id),
            "ok": self.ok,
            "error": self.error,
            "instance_state": self.instance_state,
        }


def bulk(
    db: Database,
    engine: Engine,
    *,
    actor: Actor,
    operation: str,
    task_ids: Sequence[uuid.UUID],
    action: str | None = None,
    data: Any = None,
    assignee: str | None = None,
    viewer: Actor | None = None,
) -> list[BulkResult]:
    """Apply ``operation`` to each task, each in its own transaction, in the order
    given; a task id listed twice is handled (and reported) once.

    ``act`` needs ``action`` (and takes ``data``, the same form data for every task);
    ``assign`` needs ``assignee``. Errors Civicflow raises on purpose (conflict,
    forbidden, invalid data, not found) are reported per task; anything else is a
    fault, not a refusal, and propagates — the tasks before it stay committed.

    ``viewer`` is the department boundary (``workflow.inbox.lookup``): a task outside
    it is refused, in its own transaction before anything is done, exactly like one
    that does not exist — same error, no instance state — so a selection of guessed
    ids reveals nothing of another agency's work. ``None`` binds to no person.
    """
    if operation not in OPERATIONS:
        raise InvalidDataError(f"unknown bulk operation '{operation}': use claim, assign or act")
    if operation == "act" and not action:
        raise InvalidDataError("a bulk act needs the action to take")
    if operation == "assign" and not assignee:
        raise InvalidDataError("a bulk assign needs the assignee")
    unique = list(dict.fromkeys(task_ids))
    if len(unique) > MAX_BULK:
        raise InvalidDataError(f"at most {MAX_BULK} tasks at a time, not {len(unique)}")
    results = []
    for task_id in unique:
        try:
            with db.transaction() as session:
                if viewer is not None:
                    find_task(session, task_id, viewer=viewer)
                state = _apply(
                    session, engine, operation, task_id, actor, action or "", data, assignee
                )
        except CivicflowError as error:
            results.append(
                BulkResult(
                    task_id=task_id,
                    ok=False,
                    error={"type": type(error).__name__, "message": error.message},
                    instance_state=(
                        None if isinstance(error, NotFoundError) else _state_of(db, task_id)
                    ),
                )
            )
        else:
            results.append(BulkResult(task_id=task_id, ok=True, error=None, instance_state=state))
    return results


def _apply(
    session: Session,
    engine: Engine,
    operation: str,
    task_id: uuid.UUID,
    actor: Actor,
    action: str,
    data: Any,
    assignee: str | None,
) -> str | None:
    if operation == "act":
        return engine.act(session, task_id=task_id, action=action, actor=actor, data=data).state
    if operation == "claim":
        engine.claim(session, task_id=task_id, actor=actor)
    else:
        engine.assign(session, task_id=task_id, assignee=assignee, actor=actor)
    return _instance_state(session, task_id)


def _state_of(db: Database, task_id: uuid.UUID) -> str | None:
    """The instance state after a refusal (which changed nothing), for the report."""
    with db.transaction() as session:
        return _instance_state(session, task_id)


def _instance_state(session: Session, task_id: uuid.UUID) -> str | None:
    return session.scalar(
        select(InstanceRow.state)
        .join(TaskRow, TaskRow.instance_id == InstanceRow.id)
        .where(TaskRow.id == task_id)
    )
