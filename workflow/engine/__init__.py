"""The engine: the commands staff, integrators and timers give a workflow.

Each public method is one unit of work inside the caller's transaction (the caller
commits, see ``Database.transaction``): it loads the facts through ``Store``, asks
the version's ``Runtime`` for a decision, checks the actor's right to make it, and
writes state, tasks, timers, the audit record and outbox events together. A
concurrent change to the same task or instance makes the loser raise
``ConflictError`` and write nothing.

Compiled specs and state machines are cached per definition version (content hash),
so no call compiles anything. The commands are grouped by concern in the modules of
this package; ``Engine`` is the one class callers use.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from workflow.engine.lifecycle import Lifecycle
from workflow.engine.permissions import Permissions
from workflow.engine.teamwork import Teamwork
from workflow.engine.timers import TaskTimers
from workflow.engine.triggers import Triggers
from workflow.errors import InvariantError

__all__ = ["TIMER_KINDS", "Engine"]

# The job kinds ``Engine.run_timer`` applies; workers claim exactly these.
TIMER_KINDS = (
    "wait.timeout",
    "task.due",
    "task.remind",
    "task.escalate",
    "instance.sla",
    "instance.sla_remind",
)


class Engine(Lifecycle, Teamwork, TaskTimers, Permissions, Triggers):
    """Start with ``Engine(clock=...)``; pass a session to every command."""

    def run_timer(
        self,
        session: Session,
        *,
        kind: str,
        instance_id: uuid.UUID | None,
        task_id: uuid.UUID | None,
        payload: dict[str, Any],
    ) -> bool:
        """Apply one due timer (a ``jobs`` row's kind and payload); False when it no
        longer applies, e.g. the task was completed before it fell due."""
        if kind == "wait.timeout" and instance_id is not None:
            return self.timeout(session, instance_id=instance_id, state=str(payload["state"]))
        if kind == "task.due" and task_id is not None:
            return self.task_overdue(session, task_id=task_id)
        if kind == "task.remind" and task_id is not None:
            return self.task_remind(session, task_id=task_id)
        if kind == "instance.sla" and instance_id is not None:
            return self.case_overdue(session, instance_id=instance_id)
        if kind == "instance.sla_remind" and instance_id is not None:
            return self.case_remind(session, instance_id=instance_id)
        if kind == "task.escalate" and task_id is not None:
            return self.task_escalate(session, task_id=task_id, to=str(payload["to"]))
        # workers claim only TIMER_KINDS, and the engine writes each with its ids
        raise InvariantError(
            f"cannot run a '{kind}' timer (unknown kind, or its instance or task is missing)",
            instance=str(instance_id) if instance_id else None,
            task=str(task_id) if task_id else None,
        )
