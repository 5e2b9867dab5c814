"""Runtime decisions: what happens when an instance starts, a task is acted on, an
event arrives or a timeout fires — as plain values, with no I/O.

``Runtime`` (one per definition version, shared) turns the facts of an instance and
a command into a ``Step``: the new state, data, tasks to open, timers to set, events
to emit. ``workflow.engine`` loads the facts, asks for the step and stores it in one
transaction. Keeping the decisions pure makes every rule testable without a database
and keeps the persistence layer a narrow, dumb interface.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from workflow.errors import ConflictError, FieldError, InvalidDataError, InvariantError
from workflow.language.durations import DEFAULT_CALENDAR, Calendar
from workflow.language.spec import JsonSchema, StateKind, StateSpec, TaskSpec, WorkflowSpec
from workflow.limits import MAX_TITLE, check_data, fit_text, printable
from workflow.runtime.machine import NEXT, TIMEOUT, StateMachine

__all__ = ["InstanceFacts", "NewTask", "NewTimer", "Runtime", "Step", "TaskFacts"]

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class InstanceFacts:
    state: str
    input: Mapping[str, Any]
    data: Mapping[str, Any]
    outcomes: Mapping[str, Any]
    last_form: Mapping[str, Any] | None = None
    sla_due_at: datetime | None = None
    sla_paused_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TaskFacts:
    state: str
    branch: str | None


@dataclass(frozen=True, slots=True)
class NewTimer:
    """A job to run at ``due_at``: ``task.due``, ``task.remind``, ``task.escalate`` or
    ``wait.timeout``. Task timers belong to the task opened in the same step."""

    kind: str
    due_at: datetime
    state: str
    branch: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewTask:
    state: str
    branch: str | None
    title: str
    queue: str
    actions: tuple[str, ...]
    priority: int
    due_at: datetime | None
    timers: tuple[NewTimer, ...] = ()


@dataclass(slots=True)
class Step:
    """Everything one command changes, to be stored in one transaction."""

    state_before: str
    state_after: str
    data: Json
    outcomes: Json
    last_form: Json | None
    entered: list[str] = field(default_factory=list)
    open_tasks: list[NewTask] = field(default_factory=list)
    timers: list[NewTimer] = field(default_factory=list)
    cancel_open_tasks_of: list[str] = field(default_factory=list)
    finished: bool = False
    emits: list[str] = field(default_factory=list)
    sla_due_at: datetime | None = None
    sla_paused_at: datetime | None = None
    sla_cancel: bool = False  # cancel the case's pending SLA timers
    # the clock restarted after a pause begun at this moment: a reminder the pause
    # cancelled is due again, moved by the time paused
    sla_resumed_from: datetime | None = None

    @property
    def moved(self) -> bool:
        return bool(self.entered)


def validate_against(schema: JsonSchema | None, value: Any, *, what: str, **context: Any) -> Json:
    """``value`` as a JSON object checked against ``schema``; every violation listed."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise InvalidDataError(f"{what} must be a JSON object", **context)
    check_data(value, what=what, **context)  # before anything copies or walks it deeply
    if schema is not None:
        errors = sorted(schema.validator.iter_errors(value), key=lambda e: [str(p) for p in e.path])
        if errors:
            fields = [
                FieldError(
                    "/" + "/".join(str(p) for p in error.path), printable(error.message, 200)
                )
                for error in errors
            ]
            summary = "; ".join(f"{f.path}: {f.message}" for f in fields[:3])
            raise InvalidDataError(f"{what} is invalid: {summary}", errors=fields, **context)
    return value


class Runtime:
    """The decisions for one definition version. Built once, shared by all threads."""

    def __init__(self, spec: WorkflowSpec) -> None:
        self.spec = spec
        self.machine = StateMachine(spec)
        self.calendar: Calendar = spec.calendar or DEFAULT_CALENDAR
        # a chain of decisions longer than the number of states is a loop
        self._max_hops = len(spec.states) + 1

    # -- commands -------------------------------------------------------------------

    def start(self, input: Any, now: datetime) -> Step:
        checked = validate_against(self.spec.input, input, what="input", workflow=self.spec.key)
        facts = InstanceFacts(state=self.spec.start, input=checked, data={}, outcomes={})
        step = self._step(facts)
        step.state_before = ""
        sla = self.spec.sla
        if sla is not None:
            step.sla_due_at = sla.due.after(now, self.calendar)
            step.timers.append(NewTimer("instance.sla", step.sla_due_at, self.spec.start))
            if sla.remind is not None:
                remind_at = sla.remind.after(now, self.calendar)
                step.timers.append(NewTimer("instance.sla_remind", remind_at, self.spec.start))
        self._enter(step, facts, self.spec.start, now)
        self._track_sla(step, now)
        return step

    def act(
        self, facts: InstanceFacts, task: TaskFacts, action: str, form: Any, now: datetime
    ) -> Step:
        offers = self.machine.offers(task.state, task.branch)
        if action not in offers:
            offered = ", ".join(offers)
            raise InvalidDataError(
                f"'{action}' is not an action of this task; it offers: {offered}",
                state=task.state,
                action=action,
            )
        if facts.state != task.state:
            raise ConflictError(
                f"the instance has moved on from '{task.state}' to '{facts.state}'",
                state=task.state,
            )
        state = self.spec.states[task.state]
        task_spec = self.spec.task_spec(task.state, task.branch)
        checked = validate_against(
            task_spec.form, form, what="form data", state=task.state, action=action
        )
        step = self._step(facts)
        step.last_form = checked
        if task.branch is None:
            step.data[task.state] = checked
            self._move(step, facts, state, action, now)
            self._track_sla(step, now)
            return step
        # a parallel branch: record it, then see whether the join is decided
        step.data.setdefault(task.state, {})[task.branch] = checked
        branch_outcomes = step.outcomes.setdefault(task.state, {})
        branch_outcomes[task.branch] = action
        assert state.join is not None
        if len(branch_outcomes) >= state.join.needed(len(state.branches)):
            step.cancel_open_tasks_of.append(task.state)
            self._move(step, facts, state, NEXT, now)
            self._track_sla(step, now)
        return step

    def signal(self, facts: InstanceFacts, event: str, payload: Any, now: datetime) -> Step:
        state = self.spec.states[facts.state]
        if state.kind is not StateKind.WAIT or event not in self.machine.offers(facts.state):
            waiting = ", ".join(state.on) if state.kind is StateKind.WAIT else "nothing"
            if state.kind is StateKind.WAIT and not state.on:
                waiting = "nothing but its timeout"
            raise ConflictError(
                f"the instance is in '{facts.state}', which is not waiting for '{event}' "
                f"(it waits for: {waiting})",
                state=facts.state,
                action=event,
            )
        checked = validate_against(None, payload, what="event data", action=event)
        step = self._step(facts)
        step.data[facts.state] = checked
        self._move(step, facts, state, event, now)
        self._track_sla(step, now)
        return step

    def waits_for(self, state_name: str, event: str) -> bool:
        state = self.spec.states[state_name]
        return state.kind is StateKind.WAIT and event in state.on

    def timeout(self, facts: InstanceFacts, state_name: str, now: datetime) -> Step | None:
        """The step a wait timeout causes, or None if the instance already moved on."""
        if facts.state != state_name:
            return None
        state = self.spec.states[state_name]
        if state.timeout is None:
            return None
        step = self._step(facts)
        self._move(step, facts, state, TIMEOUT, now)
        self._track_sla(step, now)
        return step

    def calendar_for(self, queue: str) -> Calendar:
        """The business calendar a task's SLA is counted on: its department's own, else
        the workflow's, else weekends only."""
        department = self.spec.departments.get(queue.split("/", 1)[0])
        if department is not None and department.calendar is not None:
            return department.calendar
        return self.calendar

    # -- internals -----------------------------------------------------------------

    def _step(self, facts: InstanceFacts) -> Step:
        return Step(
            state_before=facts.state,
            state_after=facts.state,
            data=copy.deepcopy(dict(facts.data)),
            outcomes=copy.deepcopy(dict(facts.outcomes)),
            last_form=dict(facts.last_form) if facts.last_form is not None else None,
            sla_due_at=facts.sla_due_at,
            sla_paused_at=facts.sla_paused_at,
        )

    def _track_sla(self, step: Step, now: datetime) -> None:
        """Stop the case's SLA clock while it waits on someone outside (``paused_in``)
        and start it again on the way out, moving the deadline by the time paused."""
        sla = self.spec.sla
        if sla is None or step.sla_due_at is None or not step.moved:
            return
        paused = step.state_after in sla.paused_in and not step.finished
        if step.finished:
            step.sla_cancel = True
        elif paused and step.sla_paused_at is None:
            step.sla_paused_at = now
            step.sla_cancel = True
        elif not paused and step.sla_paused_at is not None:
            step.sla_due_at = self.moved_by_pause(
                sla.due.unit, step.sla_due_at, step.sla_paused_at, now
            )
            step.sla_resumed_from = step.sla_paused_at
            step.sla_paused_at = None
            step.sla_cancel = True
            step.timers.append(NewTimer("instance.sla", step.sla_due_at, step.state_after))

    def moved_by_pause(
        self, unit: str, due: datetime, paused_at: datetime, now: datetime
    ) -> datetime:
        """``due`` moved later by the time the SLA clock stood still, counted in
        ``unit`` (business days paused, or the exact time for the other units)."""
        if unit != "business days":
            return due + (now - paused_at)
        calendar, day, paused_days = self.calendar, paused_at, 0
        while (day := day + timedelta(days=1)).date() <= now.date():
            paused_days += calendar.is_business_day(day.date())
        return calendar.add_business_days(due, paused_days) if paused_days else due

    def scope(self, step: Step, input: Mapping[str, Any], state: str | None = None) -> Json:
        scope: Json = {"input": input, "data": step.data, "form": step.last_form or {}}
        if state is not None:
            spec = self.spec.states[state]
            if spec.kind is StateKind.PARALLEL:
                outcomes = step.outcomes.get(state, {})
                for branch in spec.branches:
                    scope[branch] = outcomes.get(branch)
        return scope

    def _move(
        self, step: Step, facts: InstanceFacts, state: StateSpec, event: str, now: datetime
    ) -> None:
        target = self.machine.fire(state.name, event, self.scope(step, facts.input, state.name))
        self._enter(step, facts, target, now)

    def _enter(self, step: Step, facts: InstanceFacts, name: str, now: datetime) -> None:
        for _ in range(self._max_hops):
            step.entered.append(name)
            step.state_after = name
            state = self.spec.states[name]
            if state.kind is StateKind.DECISION:
                name = self.machine.fire(name, NEXT, self.scope(step, facts.input))
                continue
            if state.kind is StateKind.TASK:
                assert state.task is not None
                step.open_tasks.append(self._new_task(step, facts, name, None, state.task, now))
            elif state.kind is StateKind.PARALLEL:
                step.outcomes[name] = {}
                step.data.pop(name, None)
                for branch, task in state.branches.items():
                    step.open_tasks.append(self._new_task(step, facts, name, branch, task, now))
            elif state.kind is StateKind.WAIT and state.timeout is not None:
                due = state.timeout.after.after(now, self.calendar)
                step.timers.append(NewTimer("wait.timeout", due, name))
            elif state.kind is StateKind.FINAL:
                step.finished = True
                if state.emit:
                    step.emits.append(state.emit)
            return
        # the validator refuses decision loops with no task or wait between them
        raise InvariantError(f"decision states route in a loop through '{name}'", state=name)

    def _new_task(
        self,
        step: Step,
        facts: InstanceFacts,
        state: str,
        branch: str | None,
        task: TaskSpec,
        now: datetime,
    ) -> NewTask:
        # cut, not refused: the author cannot control how long the data in it is
        title = fit_text(task.title.render(self.scope(step, facts.input)), MAX_TITLE)
        calendar = self.calendar_for(task.queue)
        timers: list[NewTimer] = []
        due_at = task.due.after(now, calendar) if task.due else None
        if due_at is not None:
            timers.append(NewTimer("task.due", due_at, state, branch))
        if task.remind is not None:
            timers.append(NewTimer("task.remind", task.remind.after(now, calendar), state, branch))
        if task.escalate is not None:
            timers.append(
                NewTimer(
                    "task.escalate",
                    task.escalate.after.after(now, calendar),
                    state,
                    branch,
                    {"to": task.escalate.to},
                )
            )
        return NewTask(
            state=state,
            branch=branch,
            title=title,
            queue=task.queue,
            actions=task.actions,
            priority=task.priority,
            due_at=due_at,
            timers=tuple(timers),
        )
