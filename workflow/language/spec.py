"""The compiled, immutable form of a workflow definition (one per *version*).

A ``WorkflowSpec`` is what the validator and compiler produce from YAML and what the
runtime reads; it is never mutated after compilation, so one instance is shared by
every running workflow of that version and by every thread. Running instances and
tasks are separate things (see ``workflow.runtime.decisions`` and ``workflow.store``): the spec
says what *may* happen, an instance records what *did*.

State kinds (exactly one per state):

``task``
    One human task in a shared queue; the actor picks an action from ``on``.
``wait``
    Waits for an external event named in ``on`` (webhook or API signal), optionally
    with ``timeout``.
``parallel``
    Several branch tasks open at once (often in different departments); ``join``
    decides when the state is done, then the ``next`` rules pick the successor.
    Branch outcomes (the action taken in each branch) are visible by branch name.
``decision``
    No task: the ``next`` rules choose the successor from data, immediately.
``final``
    The instance is complete; ``emit`` names an outbound event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

    from workflow.language.durations import Calendar, Duration
    from workflow.language.expressions import Expression, Template

__all__ = [
    "CaseSla",
    "Department",
    "Escalation",
    "JoinRule",
    "JsonSchema",
    "Rule",
    "StateKind",
    "StateSpec",
    "TaskSpec",
    "Timeout",
    "WebhookTrigger",
    "WorkflowSpec",
]


class StateKind(StrEnum):
    TASK = "task"
    WAIT = "wait"
    PARALLEL = "parallel"
    DECISION = "decision"
    FINAL = "final"


@dataclass(frozen=True, slots=True)
class JsonSchema:
    """A JSON Schema (2020-12) with its validator built once, at compile time."""

    schema: Mapping[str, Any]
    validator: Validator = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Rule:
    """``when`` (None = always) → ``to``. A plain target compiles to one such rule."""

    to: str
    when: Expression | None = None


@dataclass(frozen=True, slots=True)
class Escalation:
    after: Duration
    to: str  # queue "department/group"


@dataclass(frozen=True, slots=True)
class Timeout:
    after: Duration
    to: str  # state name


@dataclass(frozen=True, slots=True)
class JoinRule:
    """When a parallel state is decided: ``all`` branches, ``any`` one, or ``at_least`` N."""

    mode: str  # "all" | "any" | "at_least"
    count: int | None = None

    def needed(self, branches: int) -> int:
        if self.mode == "all":
            return branches
        if self.mode == "any":
            return 1
        assert self.count is not None
        return self.count


@dataclass(frozen=True, slots=True)
class TaskSpec:
    title: Template
    queue: str
    actions: tuple[str, ...]
    form: JsonSchema | None = None
    description: str | None = None
    priority: int = 0
    due: Duration | None = None
    remind: Duration | None = None
    escalate: Escalation | None = None
    four_eyes: tuple[str, ...] = ()
    assurance: str | None = None  # "mfa" or None
    # who the task may be delegated to: "queue" (a member of its queue, or the
    # assignee's declared substitute) or "anyone" (any known person)
    delegate: str = "queue"


@dataclass(frozen=True, slots=True)
class StateSpec:
    name: str
    kind: StateKind
    line: int = 0
    task: TaskSpec | None = None  # TASK
    on: Mapping[str, tuple[Rule, ...]] = field(default_factory=dict)  # TASK actions, WAIT events
    timeout: Timeout | None = None  # WAIT
    branches: Mapping[str, TaskSpec] = field(default_factory=dict)  # PARALLEL
    join: JoinRule | None = None  # PARALLEL
    next: tuple[Rule, ...] = ()  # PARALLEL, DECISION
    emit: str | None = None  # FINAL

    @property
    def is_final(self) -> bool:
        return self.kind is StateKind.FINAL

    def targets(self) -> tuple[str, ...]:
        """Every state this one can lead to, in declaration order, without repeats."""
        seen: dict[str, None] = {}
        for rules in self.on.values():
            for rule in rules:
                seen.setdefault(rule.to)
        for rule in self.next:
            seen.setdefault(rule.to)
        if self.timeout is not None:
            seen.setdefault(self.timeout.to)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class CaseSla:
    """A deadline for the whole case, from start to a final state. The clock stops
    while the case waits in one of ``paused_in`` (e.g. on the requester)."""

    due: Duration
    remind: Duration | None = None
    escalate_to: str | None = None  # queue told when the case is overdue
    paused_in: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Department:
    key: str
    title: str
    calendar: Calendar | None = None  # its own business days; None: the workflow's


@dataclass(frozen=True, slots=True)
class WebhookTrigger:
    """``POST /hooks/{source}`` starts this workflow (``signal`` is None) or signals
    the instance whose business key the payload names. Values are JSONPath strings;
    ``match`` maps a JSONPath to the value a payload must hold there."""

    source: str
    input: Mapping[str, str] = field(default_factory=dict)
    business_key: str | None = None
    signal: str | None = None
    data: Mapping[str, str] | None = None  # the event's data; None: the whole payload
    match: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WorkflowSpec:
    key: str
    title: str
    owner: str
    departments: Mapping[str, Department]
    start: str
    states: Mapping[str, StateSpec]
    content_hash: str  # sha256 of the source text: the identity of this version
    source_path: str = "<string>"
    input: JsonSchema | None = None
    triggers: tuple[WebhookTrigger, ...] = ()
    kept_events: Mapping[str, Duration] = field(default_factory=dict)  # top-level ``events``
    calendar: Calendar | None = None
    description: str | None = None
    sla: CaseSla | None = None

    def state(self, name: str) -> StateSpec:
        return self.states[name]

    def task_spec(self, state: str, branch: str | None = None) -> TaskSpec:
        spec = self.states[state]
        if branch is not None:
            return spec.branches[branch]
        assert spec.task is not None, f"state {state!r} has no task"
        return spec.task
