"""What due timers do to tasks: flag overdue, remind, escalate.

Called by the worker inside the transaction that also marks the job done, so each
effect happens exactly once however many workers run. A timer whose task is no
longer open does nothing (the task was completed or cancelled first).
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from workflow.actors import SYSTEM
from workflow.engine.base import EngineBase, conflict_means
from workflow.engine.events import TaskEscalated, TaskOverdue, TaskReminded
from workflow.people.registry import People
from workflow.store.models import TaskRow
from workflow.store.repository import Store

__all__ = ["TaskTimers"]


class TaskTimers(EngineBase):
    @conflict_means("the task changed while its timer fired")
    def task_overdue(self, session: Session, *, task_id: uuid.UUID) -> bool:
        store = Store(session)
        task, instance = store.task_for_update(task_id)
        if task.status != "open" or task.overdue:
            return False
        task.overdue = True
        self._task_changed(store, task, instance, SYSTEM, TaskOverdue, {"due_at": _iso(task)})
        self._notify(
            store,
            self._responsible(session, task),
            kind="task.overdue",
            subject=f"Overdue: {task.title}",
            body=f"'{task.title}' in {task.queue} was due {_iso(task)}.",
            task=task,
        )
        return True

    @conflict_means("the task changed while its timer fired")
    def task_remind(self, session: Session, *, task_id: uuid.UUID) -> bool:
        store = Store(session)
        task, instance = store.task_for_update(task_id)
        if task.status != "open":
            return False
        self._task_changed(store, task, instance, SYSTEM, TaskReminded, {})
        self._notify(
            store,
            self._responsible(session, task),
            kind="task.remind",
            subject=f"Reminder: {task.title}",
            body=f"'{task.title}' in {task.queue} is waiting"
            + (f"; it is due {_iso(task)}." if task.due_at else "."),
            task=task,
        )
        return True

    @conflict_means("the task changed while its timer fired")
    def task_escalate(self, session: Session, *, task_id: uuid.UUID, to: str) -> bool:
        """Move the task to the escalation queue (its assignee keeps it) and tell the
        leads of the queue it came from and the members of the one it goes to."""
        store = Store(session)
        task, instance = store.task_for_update(task_id)
        if task.status != "open" or task.escalated_at is not None:
            return False
        people = People(session)
        origin = task.queue
        task.queue = to
        task.escalated_at = self.clock.now()
        self._task_changed(store, task, instance, SYSTEM, TaskEscalated, {"from": origin, "to": to})
        self._notify(
            store,
            [*people.leads_of(origin), *people.members_of(to)],
            kind="task.escalate",
            subject=f"Escalated: {task.title}",
            body=f"'{task.title}' was not completed in time in {origin} and is escalated to {to}.",
            task=task,
        )
        return True

    @conflict_means("the case changed while its deadline fired")
    def case_overdue(self, session: Session, *, instance_id: uuid.UUID) -> bool:
        """The case missed its ``sla`` deadline: flag it, tell the escalation queue.

        Does nothing if the case finished, is paused (waiting on someone outside) or
        its deadline moved later meanwhile; a resumed clock schedules a new timer."""
        store = Store(session)
        instance = store.instance(instance_id, lock=True)
        now = self.clock.now()
        if (
            instance.status != "running"
            or instance.sla_overdue
            or instance.sla_paused_at is not None
            or instance.sla_due_at is None
            or instance.sla_due_at > now
        ):
            return False
        instance.sla_overdue = True
        _, runtime = self.pinned(store, instance.definition_id)
        sla = runtime.spec.sla
        self._record(
            store,
            instance,
            SYSTEM,
            "instance.overdue",
            None,
            {"due_at": instance.sla_due_at.isoformat()},
        )
        queue = sla.escalate_to if sla is not None else None
        if queue is not None:
            people = People(session)
            self._notify(
                store,
                [*people.members_of(queue)],
                kind="instance.overdue",
                subject=f"Overdue case: {runtime.spec.title}",
                body=f"Case {instance.business_key or instance.id} ({runtime.spec.title}) missed "
                f"its deadline of {instance.sla_due_at:%Y-%m-%d %H:%M} UTC; "
                f"it is in '{instance.state}'.",
                instance_id=instance.id,
            )
        return True

    @conflict_means("the case changed while its reminder fired")
    def case_remind(self, session: Session, *, instance_id: uuid.UUID) -> bool:
        store = Store(session)
        instance = store.instance(instance_id, lock=True)
        if instance.status != "running" or instance.sla_paused_at is not None:
            return False
        recipients: list[str] = []
        for task in store.tasks_of(instance.id):
            if task.status == "open":
                recipients += self._responsible(session, task)
        self._record(store, instance, SYSTEM, "instance.reminded", None, {})
        due = f"{instance.sla_due_at:%Y-%m-%d}" if instance.sla_due_at else "soon"
        self._notify(
            store,
            recipients,
            kind="instance.remind",
            subject="Case deadline approaching",
            body=f"Case {instance.business_key or instance.id} is due {due}.",
            instance_id=instance.id,
        )
        return True

    def _responsible(self, session: Session, task: TaskRow) -> list[str]:
        """Who should hear about a task: its assignee (or their substitute while they
        are away), else everyone in its queue."""
        people = People(session)
        if task.assignee is None:
            return people.members_of(task.queue)
        away = people.substitute_of(task.assignee, self.clock.now().date())
        return [away or task.assignee] + ([task.delegate] if task.delegate else [])


def _iso(task: TaskRow) -> str:
    return task.due_at.isoformat() if task.due_at else "-"
