"""The engine: the commands staff, integrators and timers give a workflow.

Each public method is one unit of work inside the caller's transaction (the caller
commits, see ``Database.transaction``): it loads the facts through ``Store``, asks
the version's ``Runtime`` for a decision, checks the actor's right to make it, and
writes state, tasks, timers, the audit record and outbox events together. A
concurrent change to the same task or instance makes the loser raise
``ConflictError`` and write nothing.

Compiled specs and state machines are cached per definition version (content hash),
so no call compiles anything.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from workflow.actors import SYSTEM, Actor
from workflow.audit import AuditRecord
from workflow.clock import Clock, SystemClock
from workflow.compiler import compile_definition
from workflow.errors import ConflictError, ForbiddenError, InvalidDataError
from workflow.runtime import InstanceFacts, Runtime, Step, TaskFacts
from workflow.store.models import DefinitionRow, InstanceRow, TaskRow
from workflow.store.repository import Store, definition_info, task_view
from workflow.views import DefinitionInfo, InstanceView, TaskView

__all__ = ["Engine"]


class Engine:
    def __init__(self, *, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self._runtimes: dict[str, Runtime] = {}  # by content hash
        self._lock = threading.Lock()

    # -- definitions --------------------------------------------------------------------

    def register(
        self, session: Session, source: str, *, path: str = "<api>", actor: Actor = SYSTEM
    ) -> DefinitionInfo:
        """Register a definition's text; unchanged content keeps its version."""
        spec = compile_definition(source, path)
        store = Store(session)
        existing = store.definition_by_hash(spec.key, spec.content_hash)
        if existing is not None:
            return definition_info(existing)
        now = self.clock.now()
        row = DefinitionRow(
            key=spec.key,
            version=store.next_definition_version(spec.key),
            content_hash=spec.content_hash,
            title=spec.title,
            source=source,
            source_path=path,
            registered_at=now,
            registered_by=actor.id,
        )
        store.add(row)
        store.audit_stream(
            f"definition:{spec.key}",
            lambda seq: AuditRecord(
                stream=f"definition:{spec.key}",
                seq=seq,
                at=now,
                actor=actor.id,
                actor_idp=actor.idp,
                on_behalf_of=actor.on_behalf_of,
                action="definition.registered",
                instance_id=None,
                task_id=None,
                state_before=None,
                state_after=None,
                details={"version": row.version, "content_hash": spec.content_hash, "path": path},
            ),
        )
        with _conflicts(f"workflow '{spec.key}' was registered concurrently; try again"):
            session.flush()
        with self._lock:
            self._runtimes.setdefault(spec.content_hash, Runtime(spec))
        return definition_info(row, created=True)

    def runtime(self, row: DefinitionRow) -> Runtime:
        runtime = self._runtimes.get(row.content_hash)
        if runtime is None:
            spec = compile_definition(row.source, row.source_path)
            with self._lock:
                runtime = self._runtimes.setdefault(row.content_hash, Runtime(spec))
        return runtime

    def definitions(self, session: Session) -> list[DefinitionInfo]:
        return [definition_info(r) for r in Store(session).definitions()]

    # -- instances ------------------------------------------------------------------------

    def start(
        self,
        session: Session,
        *,
        workflow: str,
        input: Any,
        actor: Actor,
        business_key: str | None = None,
        version: int | None = None,
    ) -> InstanceView:
        store = Store(session)
        definition = store.latest_definition(workflow, version)
        if business_key is not None:
            existing = store.instance_by_business_key(workflow, business_key)
            if existing is not None:
                raise ConflictError(
                    f"an instance of '{workflow}' with business key '{business_key}' exists",
                    instance=str(existing.id),
                    business_key=business_key,
                )
        runtime = self.runtime(definition)
        now = self.clock.now()
        step = runtime.start(input, now)
        instance = InstanceRow(
            id=uuid.uuid4(),
            definition_id=definition.id,
            workflow_key=workflow,
            business_key=business_key,
            state=step.state_after,
            status="running",
            input=dict(input or {}),
            data={},
            outcomes={},
            last_form=None,
            created_at=now,
            updated_at=now,
            created_by=actor.id,
            audit_seq=0,
        )
        store.add(instance)
        events: list[dict[str, Any]] = [
            {"type": "instance.started", "instance_id": str(instance.id), "workflow": workflow}
        ]
        self._apply(store, instance, step, now, events)
        self._audit(
            store,
            instance,
            actor,
            "instance.started",
            step,
            now,
            details={
                "definition_version": definition.version,
                "business_key": business_key,
                "input": instance.input,
            },
        )
        store.add_outbox(instance.id, events, now)
        with _conflicts(f"an instance with business key '{business_key}' was started concurrently"):
            session.flush()
        return store.instance_view(instance)

    def instance(self, session: Session, instance_id: uuid.UUID) -> InstanceView:
        store = Store(session)
        return store.instance_view(store.instance(instance_id))

    def act(
        self,
        session: Session,
        *,
        task_id: uuid.UUID,
        action: str,
        actor: Actor,
        data: Any = None,
        expected_version: int | None = None,
    ) -> InstanceView:
        """Complete a task with ``action``; ``data`` is the form submission."""
        store = Store(session)
        task, instance = store.task_for_update(task_id)
        self._check_open(task, expected_version)
        self._check_may_act(task, actor)
        runtime = self.runtime(store.definition(instance.definition_id))
        task_spec = runtime.spec.task_spec(task.state, task.branch)
        if task_spec.four_eyes:
            earlier = store.completers(instance.id, task_spec.four_eyes)
            if actor.id in earlier or (actor.on_behalf_of and actor.on_behalf_of in earlier):
                raise ForbiddenError(
                    f"four-eyes rule: {actor.id} acted on "
                    f"{', '.join(task_spec.four_eyes)} of this case, so someone else must "
                    f"act on '{task.state}'",
                    task=str(task.id),
                    state=task.state,
                )
        if task_spec.assurance == "mfa" and not actor.mfa:
            raise ForbiddenError(
                f"'{task.state}' needs a sign-in with multi-factor authentication; "
                "sign in again with MFA to act",
                task=str(task.id),
                state=task.state,
            )
        now = self.clock.now()
        step = runtime.act(
            _facts(instance),
            TaskFacts(state=task.state, branch=task.branch, actions=tuple(task.actions)),
            action,
            data,
            now,
        )
        task.status = "completed"
        task.outcome = action
        task.completed_at = now
        task.completed_by = actor.id
        task.on_behalf_of = actor.on_behalf_of
        if task.assignee is None:
            task.assignee = actor.on_behalf_of or actor.id
        events: list[dict[str, Any]] = [
            {"type": "task.completed", "task": task_view(task).as_json()}
        ]
        self._apply(store, instance, step, now, events)
        self._audit(
            store,
            instance,
            actor,
            "task.completed",
            step,
            now,
            task_id=task.id,
            details={"action": action, "branch": task.branch, "form": step.last_form},
        )
        store.add_outbox(instance.id, events, now)
        with _conflicts("someone else acted on this task first; reload it"):
            session.flush()
        return store.instance_view(instance, history=False)

    def claim(self, session: Session, *, task_id: uuid.UUID, actor: Actor) -> TaskView:
        store = Store(session)
        task, instance = store.task_for_update(task_id)
        self._check_open(task, None)
        if task.assignee is not None and task.assignee != actor.id:
            raise ConflictError(f"already claimed by {task.assignee}", task=str(task.id))
        self._check_may_act(task, actor)
        return self._reassign(store, task, instance, actor, actor.id, "task.claimed")

    def unclaim(self, session: Session, *, task_id: uuid.UUID, actor: Actor) -> TaskView:
        store = Store(session)
        task, instance = store.task_for_update(task_id)
        self._check_open(task, None)
        if task.assignee != actor.id and task.queue not in actor.leads:
            raise ForbiddenError("only the assignee or a queue lead may unclaim", task=str(task.id))
        return self._reassign(store, task, instance, actor, None, "task.unclaimed")

    def signal(
        self,
        session: Session,
        *,
        instance_id: uuid.UUID,
        event: str,
        actor: Actor,
        data: Any = None,
    ) -> InstanceView:
        store = Store(session)
        instance = store.instance(instance_id, lock=True)
        self._check_running(instance)
        runtime = self.runtime(store.definition(instance.definition_id))
        now = self.clock.now()
        step = runtime.signal(_facts(instance), event, data, now)
        events: list[dict[str, Any]] = []
        self._apply(store, instance, step, now, events)
        self._audit(
            store,
            instance,
            actor,
            "instance.signalled",
            step,
            now,
            details={"event": event, "data": step.data.get(step.state_before)},
        )
        store.add_outbox(instance.id, events, now)
        with _conflicts("the instance changed while the event was handled; send it again"):
            session.flush()
        return store.instance_view(instance, history=False)

    def timeout(self, session: Session, *, instance_id: uuid.UUID, state: str) -> bool:
        """Fire a wait timeout; False when the instance already left ``state``."""
        store = Store(session)
        instance = store.instance(instance_id, lock=True)
        if instance.status != "running":
            return False
        runtime = self.runtime(store.definition(instance.definition_id))
        now = self.clock.now()
        step = runtime.timeout(_facts(instance), state, now)
        if step is None:
            return False
        events: list[dict[str, Any]] = []
        self._apply(store, instance, step, now, events)
        self._audit(
            store, instance, SYSTEM, "instance.timed_out", step, now, details={"state": state}
        )
        store.add_outbox(instance.id, events, now)
        session.flush()
        return True

    def cancel(
        self, session: Session, *, instance_id: uuid.UUID, actor: Actor, reason: str = ""
    ) -> InstanceView:
        store = Store(session)
        instance = store.instance(instance_id, lock=True)
        self._check_running(instance)
        now = self.clock.now()
        cancelled = store.cancel_open_tasks(instance.id, None, now)
        instance.status = "cancelled"
        instance.completed_at = now
        instance.updated_at = now
        step = Step(
            state_before=instance.state,
            state_after=instance.state,
            data=instance.data,
            outcomes=instance.outcomes,
            last_form=instance.last_form,
        )
        self._audit(
            store,
            instance,
            actor,
            "instance.cancelled",
            step,
            now,
            details={"reason": reason, "tasks_cancelled": [str(t) for t in cancelled]},
        )
        store.add_outbox(
            instance.id,
            [
                {
                    "type": "instance.cancelled",
                    "instance_id": str(instance.id),
                    "workflow": instance.workflow_key,
                },
                *({"type": "task.cancelled", "task_id": str(t)} for t in cancelled),
            ],
            now,
        )
        with _conflicts("the instance changed while it was being cancelled; try again"):
            session.flush()
        return store.instance_view(instance, history=False)

    def inbox(
        self,
        session: Session,
        *,
        actor: Actor,
        view: str = "queues",
        status: str = "open",
        limit: int = 100,
    ) -> list[TaskView]:
        if view not in ("mine", "queues", "all"):
            raise InvalidDataError(f"unknown inbox view '{view}': use mine, queues or all")
        if status not in ("open", "completed", "cancelled", "any"):
            raise InvalidDataError(
                f"unknown status '{status}': use open, completed, cancelled or any"
            )
        rows = Store(session).inbox(
            user=actor.id, queues=actor.queues, view=view, status=status, limit=limit
        )
        return [task_view(r) for r in rows]

    # -- internals -----------------------------------------------------------------------

    def _check_open(self, task: TaskRow, expected_version: int | None) -> None:
        if task.status != "open":
            who = f" by {task.completed_by}" if task.completed_by else ""
            raise ConflictError(
                f"this task is already {task.status}{who}", task=str(task.id), state=task.state
            )
        if expected_version is not None and expected_version != task.version:
            raise ConflictError(
                "this task changed since you loaded it; reload it", task=str(task.id)
            )

    def _check_may_act(self, task: TaskRow, actor: Actor) -> None:
        owner = actor.on_behalf_of or actor.id
        if task.assignee is not None and task.assignee != owner:
            raise ForbiddenError(f"this task is claimed by {task.assignee}", task=str(task.id))
        if task.assignee is None and not actor.member_of(task.queue):
            raise ForbiddenError(
                f"{actor.id} is not a member of queue '{task.queue}'",
                task=str(task.id),
                queue=task.queue,
            )

    def _check_running(self, instance: InstanceRow) -> None:
        if instance.status != "running":
            raise ConflictError(f"the instance is {instance.status}", instance=str(instance.id))

    def _reassign(
        self,
        store: Store,
        task: TaskRow,
        instance: InstanceRow,
        actor: Actor,
        assignee: str | None,
        action: str,
    ) -> TaskView:
        now = self.clock.now()
        before = task.assignee
        task.assignee = assignee
        step = Step(
            instance.state, instance.state, instance.data, instance.outcomes, instance.last_form
        )
        self._audit(
            store,
            instance,
            actor,
            action,
            step,
            now,
            task_id=task.id,
            details={"assignee_before": before, "assignee": assignee},
        )
        instance.updated_at = now
        store.add_outbox(
            instance.id, [{"type": "task.updated", "task": task_view(task).as_json()}], now
        )
        with _conflicts("the task changed at the same time; reload it"):
            store.session.flush()
        return task_view(task)

    def _apply(
        self,
        store: Store,
        instance: InstanceRow,
        step: Step,
        now: datetime,
        events: list[dict[str, Any]],
    ) -> None:
        for state in step.cancel_open_tasks_of:
            for task_id in store.cancel_open_tasks(instance.id, state, now):
                events.append({"type": "task.cancelled", "task_id": str(task_id)})
        instance.state = step.state_after
        instance.data = step.data
        instance.outcomes = step.outcomes
        instance.last_form = step.last_form
        instance.updated_at = now
        for new in step.open_tasks:
            task = TaskRow(
                id=uuid.uuid4(),
                instance_id=instance.id,
                workflow_key=instance.workflow_key,
                state=new.state,
                branch=new.branch,
                title=new.title,
                queue=new.queue,
                actions=list(new.actions),
                status="open",
                priority=new.priority,
                due_at=new.due_at,
                created_at=now,
            )
            store.add(task)
            for timer in new.timers:
                store.add_job(
                    kind=timer.kind,
                    due_at=timer.due_at,
                    now=now,
                    instance_id=instance.id,
                    task_id=task.id,
                    payload=dict(timer.payload),
                )
            events.append({"type": "task.created", "task": task_view_new(task)})
        for timer in step.timers:
            store.add_job(
                kind=timer.kind,
                due_at=timer.due_at,
                now=now,
                instance_id=instance.id,
                payload={"state": timer.state, **timer.payload},
            )
        if step.finished:
            instance.status = "completed"
            instance.completed_at = now
            events.append(
                {
                    "type": "instance.completed",
                    "instance_id": str(instance.id),
                    "workflow": instance.workflow_key,
                    "state": instance.state,
                }
            )
        for name in step.emits:
            events.append(
                {
                    "type": name,
                    "instance_id": str(instance.id),
                    "workflow": instance.workflow_key,
                    "business_key": instance.business_key,
                    "state": instance.state,
                    "data": instance.data,
                }
            )

    def _audit(
        self,
        store: Store,
        instance: InstanceRow,
        actor: Actor,
        action: str,
        step: Step,
        now: datetime,
        *,
        task_id: uuid.UUID | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        body = dict(details or {})
        if step.entered:
            body["entered"] = list(step.entered)
        store.audit_instance(
            instance,
            AuditRecord(
                stream=f"instance:{instance.id}",
                seq=instance.audit_seq + 1,
                at=now,
                actor=actor.id,
                actor_idp=actor.idp,
                on_behalf_of=actor.on_behalf_of,
                action=action,
                instance_id=instance.id,
                task_id=task_id,
                state_before=step.state_before or None,
                state_after=step.state_after,
                details=body,
            ),
        )


def task_view_new(task: TaskRow) -> dict[str, Any]:
    """Inbox-row fields of a task not yet flushed (its version is not assigned yet)."""
    return {
        "id": str(task.id),
        "instance_id": str(task.instance_id),
        "workflow": task.workflow_key,
        "state": task.state,
        "branch": task.branch,
        "title": task.title,
        "queue": task.queue,
        "actions": list(task.actions),
        "priority": task.priority,
        "due_at": task.due_at.isoformat() if task.due_at else None,
    }


def _facts(instance: InstanceRow) -> InstanceFacts:
    return InstanceFacts(
        state=instance.state,
        input=instance.input,
        data=instance.data,
        outcomes=instance.outcomes,
        last_form=instance.last_form,
    )


@contextmanager
def _conflicts(message: str) -> Iterator[None]:
    """Turn a lost race detected at flush time into a ``ConflictError``."""
    try:
        yield
    except StaleDataError as error:
        raise ConflictError(message) from error
    except IntegrityError as error:
        raise ConflictError(message) from error
