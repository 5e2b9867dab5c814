"""What every engine command shares: the runtime cache, the checks that refuse an
action before anything is written, and the writer that stores a runtime ``Step``
together with its audit record and outbox events."""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from workflow.actors import Actor
from workflow.clock import Clock, SystemClock
from workflow.engine.events import (
    Emitted,
    InstanceCompleted,
    OutboxEvent,
    TaskCancelled,
    TaskCreated,
    TaskEvent,
)
from workflow.errors import ConflictError
from workflow.language.compiler import compile_definition
from workflow.language.spec import StateKind
from workflow.limits import MAX_SUBJECT, fit_text
from workflow.people.registry import People
from workflow.runtime.audit import AuditRecord
from workflow.runtime.decisions import InstanceFacts, Runtime, Step
from workflow.runtime.permissions import Refusal, SubstituteOf
from workflow.store import kept_events
from workflow.store.constraints import lost_race
from workflow.store.models import DefinitionRow, InstanceRow, NotificationRow, TaskRow
from workflow.store.repository import Store, audit_row, new_task_view, task_view
from workflow.views import TaskView

__all__ = [
    "TASK_TIMERS",
    "EngineBase",
    "Staged",
    "conflict_means",
    "conflicts",
    "instance_facts",
]

F = TypeVar("F", bound=Callable[..., Any])
TASK_TIMERS = ("task.due", "task.remind", "task.escalate")


@dataclass(frozen=True, slots=True)
class Staged:
    """What a step writes, decided before any statement is issued (``_stage``)."""

    changes: dict[str, Any]  # the instance's new column values
    tasks: list[dict[str, Any]]
    views: list[TaskView]  # of ``tasks``, as an inbox shows them
    jobs: list[dict[str, Any]]
    audit: dict[str, Any]
    events: list[OutboxEvent]  # about the new tasks and the instance itself


class EngineBase:
    def __init__(self, *, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self._runtimes: dict[str, Runtime] = {}  # by content hash
        self._pinned: dict[int, tuple[int, Runtime]] = {}  # by definition row id
        self._lock = threading.Lock()

    # -- definitions --------------------------------------------------------------------

    def runtime(self, row: DefinitionRow) -> Runtime:
        runtime = self._runtimes.get(row.content_hash)
        if runtime is None:
            spec = compile_definition(row.source, row.source_path)
            with self._lock:
                runtime = self._runtimes.setdefault(row.content_hash, Runtime(spec))
        return runtime

    def pinned(self, store: Store, definition_id: int) -> tuple[int, Runtime]:
        """(version number, runtime) of the definition an instance is pinned to.

        Definition rows never change once written, so this is looked up once per
        process and then served from memory: no query on the hot path."""
        found = self._pinned.get(definition_id)
        if found is None:
            row = store.definition(definition_id)
            found = (row.version, self.runtime(row))
            with self._lock:
                self._pinned[definition_id] = found
        return found

    def _substitutes(self, store: Store) -> SubstituteOf:
        """Whom an assignee has as out-of-office substitute today (asked lazily by
        the permission rules, only when someone else than assignee or delegate acts)."""
        return lambda assignee: People(store.session).substitute_of(
            assignee, self.clock.now().date()
        )

    def _refuse(self, refusal: Refusal | None) -> None:
        if refusal is not None:
            raise refusal.exception()

    def _notify(
        self,
        store: Store,
        recipients: Iterable[str],
        *,
        kind: str,
        subject: str,
        body: str,
        task: TaskRow | None = None,
        instance_id: uuid.UUID | None = None,
    ) -> None:
        """Queue e-mail notifications in this transaction; the worker sends them."""
        now = self.clock.now()
        for recipient in sorted(set(recipients)):
            store.add(
                NotificationRow(
                    recipient=recipient,
                    kind=kind,
                    subject=fit_text(subject, MAX_SUBJECT),
                    body=body,
                    instance_id=task.instance_id if task is not None else instance_id,
                    task_id=task.id if task is not None else None,
                    created_at=now,
                )
            )

    def _waits(self, store: Store, instance: InstanceRow, state: str) -> bool:
        """Whether ``state`` of this instance's definition is a wait with a timeout."""
        _, runtime = self.pinned(store, instance.definition_id)
        spec = runtime.spec.states.get(state)
        return spec is not None and spec.timeout is not None

    def _check_running(self, instance: InstanceRow) -> None:
        if instance.status != "running":
            raise ConflictError(f"the instance is {instance.status}", instance=str(instance.id))

    def _stage(
        self,
        instance: InstanceRow,
        step: Step,
        now: datetime,
        *,
        actor: Actor,
        action: str,
        definition_version: int,
        task_id: uuid.UUID | None = None,
        details: dict[str, Any] | None = None,
    ) -> Staged:
        """Decide everything a step writes, before writing any of it.

        Every column of the instance the step changes is collected here, the audit
        chain's new head included (the hash needs nothing from the database), so
        ``_write`` stores the instance row with one statement. Nothing here issues a
        statement or changes the instance object."""
        changes: dict[str, Any] = {
            "sla_due_at": step.sla_due_at,
            "sla_paused_at": step.sla_paused_at,
            "state": step.state_after,
            "data": step.data,
            "outcomes": step.outcomes,
            "last_form": step.last_form,
            "updated_at": now,
        }
        if step.finished:
            changes["status"] = "completed"
            changes["completed_at"] = now
        instance_id = instance.id
        workflow = instance.workflow_key
        tasks: list[dict[str, Any]] = []
        views: list[TaskView] = []
        jobs: list[dict[str, Any]] = []
        events: list[OutboxEvent] = []
        for new in step.open_tasks:
            task: dict[str, Any] = {
                "id": uuid.uuid4(),
                "instance_id": instance_id,
                "workflow_key": workflow,
                "state": new.state,
                "branch": new.branch,
                "title": new.title,
                "queue": new.queue,
                "actions": list(new.actions),
                "status": "open",
                "priority": new.priority,
                "due_at": new.due_at,
                "created_at": now,
                "version": 1,
            }
            tasks.append(task)
            jobs.extend(
                job_row(timer.kind, timer.due_at, now, instance_id, task["id"], dict(timer.payload))
                for timer in new.timers
            )
            view = new_task_view(task)
            views.append(view)
            events.append(TaskCreated(view))
        jobs.extend(
            job_row(
                timer.kind,
                timer.due_at,
                now,
                instance_id,
                None,
                {"state": timer.state, **timer.payload},
            )
            for timer in step.timers
        )
        if step.finished:
            events.append(
                InstanceCompleted.of(
                    instance, definition_version=definition_version, state=step.state_after
                )
            )
        for name in step.emits:
            events.append(
                Emitted.of(
                    name,
                    instance,
                    definition_version=definition_version,
                    state=step.state_after,
                    data=step.data,
                )
            )
        audit = self._audit_row(
            instance, actor, action, step, now, task_id=task_id, details=details
        )
        changes["audit_seq"] = audit["seq"]
        changes["audit_head"] = audit["hash"]
        return Staged(
            changes=changes, tasks=tasks, views=views, jobs=jobs, audit=audit, events=events
        )

    def _write(
        self,
        store: Store,
        instance: InstanceRow,
        step: Step,
        staged: Staged,
        now: datetime,
        events: list[OutboxEvent],
    ) -> None:
        """Write a staged step. ``events`` are the caller's own (they come first in the
        outbox row); the cancellations' and the staged ones follow, in that order.

        The instance goes first: one versioned UPDATE, or for a new instance its
        INSERT, which its new tasks' foreign key needs. Every statement after it is a
        plain Core statement, and the session has nothing left to flush."""
        store.save(instance, staged.changes)
        for state in step.cancel_open_tasks_of:
            events.extend(map(TaskCancelled, store.cancel_open_tasks(instance.id, state, now)))
        if step.moved and step.state_before and self._waits(store, instance, step.state_before):
            store.cancel_jobs(instance.id, ("wait.timeout",), now)
        if step.sla_cancel:
            store.cancel_jobs(instance.id, ("instance.sla", "instance.sla_remind"), now)
        store.insert_tasks(staged.tasks)
        store.insert_jobs(staged.jobs)
        if step.sla_resumed_from is not None:
            self._remind_again(store, instance, step.sla_resumed_from, now)
        store.insert_audit(staged.audit)
        events.extend(staged.events)
        self._publish(store, instance.id, events, now)
        if step.moved and not step.finished:
            self._deliver_kept(store, instance, now)

    def _publish(
        self, store: Store, instance_id: uuid.UUID, events: list[OutboxEvent], now: datetime
    ) -> None:
        """The one place the engine writes outbox rows: typed events, as their JSON."""
        store.add_outbox(instance_id, [event.as_json() for event in events], now)

    def _remind_again(
        self, store: Store, instance: InstanceRow, paused_at: datetime, now: datetime
    ) -> None:
        """Schedule again the case reminder a pause cancelled, moved by the pause.

        The pause cancels the pending reminder with the deadline; the deadline is
        rescheduled by the runtime, the reminder here, because only the store knows
        whether it had fired before the pause (then it is ``done`` and stays so)."""
        _, runtime = self.pinned(store, instance.definition_id)
        sla = runtime.spec.sla
        if sla is None or sla.remind is None:
            return
        last = store.last_job(instance.id, "instance.sla_remind")
        if last is None or last.status != "cancelled":
            return
        due = runtime.moved_by_pause(sla.remind.unit, last.due_at, paused_at, now)
        payload = {**last.payload, "state": instance.state}
        store.insert_jobs([job_row("instance.sla_remind", due, now, instance.id, None, payload)])

    def _deliver_kept(self, store: Store, instance: InstanceRow, now: datetime) -> None:
        """If the instance now waits for an event that was kept for it, deliver the
        oldest such event in this same transaction (which may move it on again).
        Costs nothing for definitions that keep no events."""
        version, runtime = self.pinned(store, instance.definition_id)
        state = runtime.spec.states[instance.state]
        wanted = [name for name in state.on if name in runtime.spec.kept_events]
        if state.kind is not StateKind.WAIT or not wanted:
            return
        kept = kept_events.take(store.session, instance.id, wanted, now)
        if kept is None:
            return
        step = runtime.signal(instance_facts(instance), kept.event, kept.data, now)
        staged = self._stage(
            instance,
            step,
            now,
            actor=Actor(id=kept.actor, idp=kept.actor_idp),
            action="instance.signalled",
            definition_version=version,
            details={
                "event": kept.event,
                "data": step.data.get(step.state_before),
                "kept_since": kept.received_at.isoformat(),
            },
        )
        self._write(store, instance, step, staged, now, [])

    def _record(
        self,
        store: Store,
        instance: InstanceRow,
        actor: Actor,
        action: str,
        task_id: uuid.UUID | None,
        details: dict[str, Any],
    ) -> None:
        """Audit a change that does not move the instance (claims, comments, timers).

        Touching the instance bumps its version, so such changes conflict with a
        concurrent state change instead of interleaving with it."""
        now = self.clock.now()
        instance.updated_at = now
        step = Step(
            instance.state, instance.state, instance.data, instance.outcomes, instance.last_form
        )
        self._audit(store, instance, actor, action, step, now, task_id=task_id, details=details)

    def _task_changed(
        self,
        store: Store,
        task: TaskRow,
        instance: InstanceRow,
        actor: Actor,
        event: type[TaskEvent],
        details: dict[str, Any],
    ) -> TaskView:
        """Audit and announce a change made to the task object (a claim, a timer): the
        audit action is the event's name. The flush stores the task first, so the
        event shows the version a client must send back as ``expected_version``."""
        self._record(store, instance, actor, event.type, task.id, details)
        store.session.flush()
        view = task_view(task)
        self._publish(store, instance.id, [event(view)], self.clock.now())
        return view

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
        """Audit a change made to the instance object itself (the ORM writes it)."""
        row = self._audit_row(instance, actor, action, step, now, task_id=task_id, details=details)
        instance.audit_seq = row["seq"]
        instance.audit_head = row["hash"]
        store.insert_audit(row)

    def _audit_row(
        self,
        instance: InstanceRow,
        actor: Actor,
        action: str,
        step: Step,
        now: datetime,
        *,
        task_id: uuid.UUID | None = None,
        details: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The instance's next audit row, linked to the chain's current head. The
        instance row (locked or version-checked) serialises appenders, so the chain
        never forks; the caller stores the new head (``seq``, ``hash``) on it."""
        body = dict(details or {})
        if step.entered:
            body["entered"] = list(step.entered)
        if actor.assurance is not None:
            body["assurance"] = actor.assurance.as_json()
            body["mfa"] = actor.mfa  # proven (and recent enough) when the action was taken
        return audit_row(
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
            instance.audit_head,
        )


def job_row(
    kind: str,
    due_at: datetime,
    now: datetime,
    instance_id: uuid.UUID,
    task_id: uuid.UUID | None,
    payload: dict[str, Any],
) -> dict[str, Any]:
    return {
        "kind": kind,
        "due_at": due_at,
        "status": "pending",
        "instance_id": instance_id,
        "task_id": task_id,
        "payload": payload,
        "attempts": 0,
        "created_at": now,
    }


def instance_facts(instance: InstanceRow) -> InstanceFacts:
    return InstanceFacts(
        state=instance.state,
        input=instance.input,
        data=instance.data,
        outcomes=instance.outcomes,
        last_form=instance.last_form,
        sla_due_at=instance.sla_due_at,
        sla_paused_at=instance.sla_paused_at,
    )


def conflict_means(message: str) -> Callable[[F], F]:
    """Mark an engine command: a lost race detected anywhere inside it (a versioned
    UPDATE that matched nothing, one of the unique keys that catch races taken
    meanwhile) becomes a ``ConflictError`` saying ``message``. Flushes happen at
    several points (explicit, and before queries), so the whole command is covered,
    not one flush."""

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with conflicts(message):
                return command(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


@contextmanager
def conflicts(message: str) -> Iterator[None]:
    """Turn a lost race detected at flush time into a ``ConflictError``; any other
    integrity error (``workflow.store.constraints`` says which are races) is a bug
    and propagates unchanged."""
    try:
        yield
    except StaleDataError as error:
        raise ConflictError(message) from error
    except IntegrityError as error:
        if not lost_race(error):
            raise
        raise ConflictError(message) from error
