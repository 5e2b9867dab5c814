"""An instance's life: registering definitions, starting, acting on tasks, events,
timeouts and cancellation. Each command is one unit of work in the caller's
transaction; a refusal raises before anything is written."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from workflow.actors import SYSTEM, Actor
from workflow.engine.base import TASK_TIMERS, EngineBase, conflict_means, instance_facts
from workflow.engine.events import (
    InstanceCancelled,
    InstanceStarted,
    OutboxEvent,
    TaskCancelled,
    TaskCompleted,
)
from workflow.errors import ConflictError
from workflow.language.compiler import compile_definition
from workflow.limits import MAX_BUSINESS_KEY, MAX_COMMENT, MAX_NAME, MAX_PATH, check_text
from workflow.runtime.audit import AuditRecord
from workflow.runtime.decisions import Runtime, Step, TaskFacts, validate_against
from workflow.runtime.permissions import Refusal, may_act
from workflow.store import kept_events
from workflow.store.models import DefinitionRow, InstanceRow
from workflow.store.repository import Store, definition_info, task_view
from workflow.views import DefinitionInfo, InstanceView

__all__ = ["Lifecycle"]


class Lifecycle(EngineBase):
    @conflict_means("the workflow was registered concurrently; try again")
    def register(
        self, session: Session, source: str, *, path: str = "<api>", actor: Actor = SYSTEM
    ) -> DefinitionInfo:
        """Register a definition's text; unchanged content keeps its version."""
        check_text(path, what="the definition's path", max_length=MAX_PATH)
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
        session.flush()
        with self._lock:
            self._runtimes.setdefault(spec.content_hash, Runtime(spec))
        return definition_info(row, created=True)

    def definitions(self, session: Session) -> list[DefinitionInfo]:
        return [definition_info(r) for r in Store(session).definitions()]

    # -- instances ------------------------------------------------------------------------

    @conflict_means("an instance with this business key was started at the same time")
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
        check_text(workflow, what="the workflow key", max_length=MAX_NAME)
        if business_key is not None:
            check_text(business_key, what="the business key", max_length=MAX_BUSINESS_KEY)
        store = Store(session)
        definition_id = store.latest_definition_id(workflow, version)
        if business_key is not None:
            existing = store.instance_by_business_key(workflow, business_key)
            if existing is not None:
                raise ConflictError(
                    f"an instance of '{workflow}' with business key '{business_key}' exists",
                    instance=str(existing.id),
                    business_key=business_key,
                )
        version, runtime = self.pinned(store, definition_id)
        now = self.clock.now()
        step = runtime.start(input, now)
        instance = InstanceRow(
            id=uuid.uuid4(),
            definition_id=definition_id,
            workflow_key=workflow,
            business_key=business_key,
            status="running",
            input=dict(input or {}),
            created_at=now,
            created_by=actor.id,
            audit_seq=0,
        )
        # the step's state, data and first audit head are decided before the row is
        # written, so it is inserted complete and never updated within this call
        staged = self._stage(
            instance,
            step,
            now,
            actor=actor,
            action="instance.started",
            definition_version=version,
            details={
                "definition_version": version,
                "business_key": business_key,
                "input": instance.input,
            },
        )
        store.add(instance)
        events: list[OutboxEvent] = [
            InstanceStarted.of(instance, definition_version=version, state=step.state_after)
        ]
        self._write(store, instance, step, staged, now, events)  # the instance INSERT first
        store.index_input(instance.id, instance.input)  # after the instance INSERT
        session.flush()
        # the new tasks as reading them back would give them, in the same order
        tasks = tuple(sorted(staged.views, key=lambda task: (task.created_at, task.id)))
        return store.instance_view(instance, version=version, history=False, tasks=tasks)

    def instance(self, session: Session, instance_id: uuid.UUID) -> InstanceView:
        store = Store(session)
        return store.instance_view(store.instance(instance_id))

    @conflict_means("someone else acted on this task first; reload it")
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
        check_text(action, what="the action", max_length=MAX_NAME)
        store = Store(session)
        task, instance = store.task_for_update(task_id)
        version, runtime = self.pinned(store, instance.definition_id)
        task_spec = runtime.spec.task_spec(task.state, task.branch)
        acting = may_act(
            task,
            actor,
            task_spec,
            substitute_of=self._substitutes(store),
            completers=lambda states: store.completers(instance.id, states),
            expected_version=expected_version,
        )
        if isinstance(acting, Refusal):
            raise acting.exception()
        actor = acting
        now = self.clock.now()
        step = runtime.act(
            instance_facts(instance),
            TaskFacts(state=task.state, branch=task.branch),
            action,
            data,
            now,
        )
        # the task's and the instance's changes are all decided before the first
        # statement, so each row is updated once
        completion: dict[str, Any] = {
            "status": "completed",
            "outcome": action,
            "completed_at": now,
            "completed_by": actor.id,
            "on_behalf_of": actor.on_behalf_of,
        }
        if task.assignee is None:
            completion["assignee"] = actor.on_behalf_of or actor.id
        timers = bool(task_spec.due or task_spec.remind or task_spec.escalate)
        # the event shows the task as stored by this command (``save`` bumps its version)
        completed = replace(task_view(task), **completion, version=task.version + 1)
        events: list[OutboxEvent] = [TaskCompleted(completed)]
        staged = self._stage(
            instance,
            step,
            now,
            actor=actor,
            action="task.completed",
            definition_version=version,
            task_id=task.id,
            details={"action": action, "branch": task.branch, "form": step.last_form},
        )
        store.save(task, completion)
        if timers:
            store.cancel_jobs(instance.id, TASK_TIMERS, now, task_id=task.id)
        self._write(store, instance, step, staged, now, events)
        session.flush()
        return store.instance_view(instance, version=version, history=False)

    @conflict_means("the instance changed while the event was handled; send it again")
    def signal(
        self,
        session: Session,
        *,
        instance_id: uuid.UUID,
        event: str,
        actor: Actor,
        data: Any = None,
    ) -> InstanceView:
        """Deliver ``event`` to the instance's wait state. An event the definition
        keeps (``events: {name: {keep}}``) that the instance does not wait for yet is
        stored and delivered when it does; the view then has ``kept=True``."""
        check_text(event, what="the event", max_length=MAX_NAME)
        store = Store(session)
        instance = store.instance(instance_id, lock=True)
        self._check_running(instance)
        version, runtime = self.pinned(store, instance.definition_id)
        now = self.clock.now()
        keep = runtime.spec.kept_events.get(event)
        if keep is not None and not runtime.waits_for(instance.state, event):
            checked = validate_against(None, data, what="event data", action=event)
            expires_at = keep.after(now, runtime.calendar)
            kept_events.keep(
                session,
                instance_id=instance.id,
                event=event,
                data=checked,
                actor=actor.id,
                actor_idp=actor.idp,
                now=now,
                expires_at=expires_at,
            )
            details = {"event": event, "expires_at": expires_at.isoformat()}
            self._record(store, instance, actor, "event.kept", None, details)
            session.flush()
            view = store.instance_view(instance, version=version, history=False)
            return replace(view, kept=True)
        step = runtime.signal(instance_facts(instance), event, data, now)
        staged = self._stage(
            instance,
            step,
            now,
            actor=actor,
            action="instance.signalled",
            definition_version=version,
            details={"event": event, "data": step.data.get(step.state_before)},
        )
        self._write(store, instance, step, staged, now, [])
        session.flush()
        return store.instance_view(instance, version=version, history=False)

    @conflict_means("the instance changed while its timeout fired")
    def timeout(self, session: Session, *, instance_id: uuid.UUID, state: str) -> bool:
        """Fire a wait timeout; False when the instance already left ``state``."""
        store = Store(session)
        instance = store.instance(instance_id, lock=True)
        if instance.status != "running":
            return False
        version, runtime = self.pinned(store, instance.definition_id)
        now = self.clock.now()
        step = runtime.timeout(instance_facts(instance), state, now)
        if step is None:
            return False
        staged = self._stage(
            instance,
            step,
            now,
            actor=SYSTEM,
            action="instance.timed_out",
            definition_version=version,
            details={"state": state},
        )
        self._write(store, instance, step, staged, now, [])
        session.flush()
        return True

    @conflict_means("the instance changed while it was being cancelled; try again")
    def cancel(
        self, session: Session, *, instance_id: uuid.UUID, actor: Actor, reason: str = ""
    ) -> InstanceView:
        check_text(reason, what="the reason", max_length=MAX_COMMENT)
        store = Store(session)
        instance = store.instance(instance_id, lock=True)
        self._check_running(instance)
        now = self.clock.now()
        cancelled = store.cancel_open_tasks(instance.id, None, now)
        store.cancel_jobs(instance.id, ("instance.sla", "instance.sla_remind", "wait.timeout"), now)
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
            details={"reason": reason, "tasks_cancelled": [str(t.id) for t in cancelled]},
        )
        version, _ = self.pinned(store, instance.definition_id)
        events: list[OutboxEvent] = [
            InstanceCancelled.of(instance, definition_version=version, state=instance.state),
            *map(TaskCancelled, cancelled),
        ]
        self._publish(store, instance.id, events, now)
        session.flush()
        return store.instance_view(instance, version=version, history=False)
