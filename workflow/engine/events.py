"""The events the engine writes to the outbox: one typed, versioned payload each.

Outbound webhooks, the live inbox (Socket.IO) and anything else that reads the
outbox see exactly these, so each kind is a frozen dataclass here, built by its
class and nowhere else, and turned into JSON by ``as_json`` — the engine never writes
a hand-made dict. Its JSON Schema is generated from the same dataclass
(``event_schema``), so the documented schema (``docs/events.md``) cannot drift from
what is written; a test runs real workflows and validates every outbox row.

Every event has ``type`` (its name) and ``version`` (of its schema; a change that
removes or retypes a field gets a new version, a new optional field does not). Task
events carry the task as an inbox row shows it (``TaskView``); instance events and
emitted events carry the instance's identity and state.
"""

from __future__ import annotations

import dataclasses
import types
import typing
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Self, Union

from workflow.views import TaskView

__all__ = [
    "EMITTED_NAME",
    "EVENT_TYPES",
    "Emitted",
    "InstanceCancelled",
    "InstanceCompleted",
    "InstanceEvent",
    "InstanceStarted",
    "OutboxEvent",
    "TaskAssigned",
    "TaskCancelled",
    "TaskClaimed",
    "TaskCompleted",
    "TaskCreated",
    "TaskDelegated",
    "TaskEscalated",
    "TaskEvent",
    "TaskOverdue",
    "TaskPrioritized",
    "TaskReminded",
    "TaskUnclaimed",
    "event_schema",
    "event_schemas",
]

# What a definition's ``emit:`` may be called (the validator's pattern for names).
EMITTED_NAME = r"^[a-z][a-z0-9_.-]*$"


@dataclasses.dataclass(frozen=True, slots=True)
class TaskEvent:
    """Something happened to a task; ``task`` is the task as stored afterwards."""

    type: ClassVar[str]
    version: ClassVar[int] = 1
    task: TaskView

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "version": self.version, "task": self.task.as_json()}


@dataclasses.dataclass(frozen=True, slots=True)
class TaskCreated(TaskEvent):
    """A task was opened in its queue (an instance entered a task or parallel state)."""

    type: ClassVar[str] = "task.created"


@dataclasses.dataclass(frozen=True, slots=True)
class TaskClaimed(TaskEvent):
    """Someone took the task from the queue (``task.assignee``)."""

    type: ClassVar[str] = "task.claimed"


@dataclasses.dataclass(frozen=True, slots=True)
class TaskUnclaimed(TaskEvent):
    """The task went back to its queue."""

    type: ClassVar[str] = "task.unclaimed"


@dataclasses.dataclass(frozen=True, slots=True)
class TaskAssigned(TaskEvent):
    """A queue lead assigned the task (or took the assignment away: assignee null)."""

    type: ClassVar[str] = "task.assigned"


@dataclasses.dataclass(frozen=True, slots=True)
class TaskDelegated(TaskEvent):
    """The assignee (or a lead) let someone else act on the assignee's behalf."""

    type: ClassVar[str] = "task.delegated"


@dataclasses.dataclass(frozen=True, slots=True)
class TaskPrioritized(TaskEvent):
    """A queue lead changed the task's priority."""

    type: ClassVar[str] = "task.prioritized"


@dataclasses.dataclass(frozen=True, slots=True)
class TaskOverdue(TaskEvent):
    """The task passed its due time while open."""

    type: ClassVar[str] = "task.overdue"


@dataclasses.dataclass(frozen=True, slots=True)
class TaskReminded(TaskEvent):
    """The task's reminder fired (the people responsible were notified)."""

    type: ClassVar[str] = "task.reminded"


@dataclasses.dataclass(frozen=True, slots=True)
class TaskEscalated(TaskEvent):
    """The task moved to its escalation queue (``task.queue`` is the new one)."""

    type: ClassVar[str] = "task.escalated"


@dataclasses.dataclass(frozen=True, slots=True)
class TaskCompleted(TaskEvent):
    """Someone acted on the task (``task.outcome`` is the action taken)."""

    type: ClassVar[str] = "task.completed"


@dataclasses.dataclass(frozen=True, slots=True)
class TaskCancelled(TaskEvent):
    """The task closed without an action: its instance was cancelled, or a parallel
    state's join was decided before this branch was done."""

    type: ClassVar[str] = "task.cancelled"


@dataclasses.dataclass(frozen=True, slots=True)
class InstanceEvent:
    """Something happened to an instance; ``state`` is the state it is in afterwards."""

    type: ClassVar[str]
    version: ClassVar[int] = 1
    instance_id: uuid.UUID
    workflow: str
    definition_version: int
    business_key: str | None
    state: str

    @classmethod
    def of(cls, instance: _Instance, *, definition_version: int, state: str) -> Self:
        return cls(
            instance_id=instance.id,
            workflow=instance.workflow_key,
            definition_version=definition_version,
            business_key=instance.business_key,
            state=state,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "version": self.version,
            "instance_id": str(self.instance_id),
            "workflow": self.workflow,
            "definition_version": self.definition_version,
            "business_key": self.business_key,
            "state": self.state,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class InstanceStarted(InstanceEvent):
    """An instance started (``state``: where it came to rest, its first task's state)."""

    type: ClassVar[str] = "instance.started"


@dataclasses.dataclass(frozen=True, slots=True)
class InstanceCompleted(InstanceEvent):
    """An instance reached a final state (``state``)."""

    type: ClassVar[str] = "instance.completed"


@dataclasses.dataclass(frozen=True, slots=True)
class InstanceCancelled(InstanceEvent):
    """An instance was cancelled in ``state``; its open tasks were cancelled too."""

    type: ClassVar[str] = "instance.cancelled"


@dataclasses.dataclass(frozen=True, slots=True)
class Emitted:
    """A definition's own event: the final state reached names it with ``emit:``
    (e.g. ``permit.approved``). ``data`` is the instance's data at that moment."""

    version: ClassVar[int] = 1
    type: str
    instance_id: uuid.UUID
    workflow: str
    definition_version: int
    business_key: str | None
    state: str
    data: dict[str, Any]

    @classmethod
    def of(
        cls,
        name: str,
        instance: _Instance,
        *,
        definition_version: int,
        state: str,
        data: dict[str, Any],
    ) -> Self:
        return cls(
            type=name,
            instance_id=instance.id,
            workflow=instance.workflow_key,
            definition_version=definition_version,
            business_key=instance.business_key,
            state=state,
            data=data,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "version": self.version,
            "instance_id": str(self.instance_id),
            "workflow": self.workflow,
            "definition_version": self.definition_version,
            "business_key": self.business_key,
            "state": self.state,
            "data": self.data,
        }


class _Instance(typing.Protocol):
    """What an instance event is built from (the instance row)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def workflow_key(self) -> str: ...
    @property
    def business_key(self) -> str | None: ...


OutboxEvent = TaskEvent | InstanceEvent | Emitted

# Every event kind the engine writes, by name; ``Emitted`` covers every other name.
EVENT_TYPES: Mapping[str, type[TaskEvent] | type[InstanceEvent]] = {
    kind.type: kind
    for kind in (
        InstanceStarted,
        TaskCreated,
        TaskClaimed,
        TaskUnclaimed,
        TaskAssigned,
        TaskDelegated,
        TaskPrioritized,
        TaskOverdue,
        TaskReminded,
        TaskEscalated,
        TaskCompleted,
        TaskCancelled,
        InstanceCompleted,
        InstanceCancelled,
    )
}


# -- JSON Schema, generated from the dataclasses ----------------------------------------


def event_schema(kind: type[TaskEvent] | type[InstanceEvent] | type[Emitted]) -> dict[str, Any]:
    """The JSON Schema (2020-12) of one event kind, from its dataclass fields."""
    fields = _object_schema(kind)
    if issubclass(kind, TaskEvent | InstanceEvent):
        title = kind.type
        name: dict[str, Any] = {"const": title}
    else:
        title = "<emitted>"
        name = {
            "type": "string",
            "pattern": EMITTED_NAME,
            "not": {"enum": sorted(EVENT_TYPES)},
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "description": " ".join((kind.__doc__ or "").replace("``", "`").split()),
        "type": "object",
        "properties": {"type": name, "version": {"const": kind.version}, **fields["properties"]},
        "required": ["type", "version", *fields["required"]],
        "additionalProperties": False,
    }


def event_schemas() -> dict[str, dict[str, Any]]:
    """Every event's schema by name; emitted events under ``<emitted>``."""
    schemas = {name: event_schema(kind) for name, kind in EVENT_TYPES.items()}
    schemas["<emitted>"] = event_schema(Emitted)
    return schemas


def _object_schema(cls: type[Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    for item in dataclasses.fields(cls):
        if item.name != "type":
            properties[item.name] = _value_schema(hints[item.name])
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _value_schema(hint: Any) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [_value_schema(option) for option in typing.get_args(hint)]
        return {"anyOf": options}
    if hint is type(None):
        return {"type": "null"}
    if hint is str:
        return {"type": "string"}
    if hint is bool:
        return {"type": "boolean"}
    if hint is int:
        return {"type": "integer"}
    if hint is uuid.UUID:
        return {"type": "string", "format": "uuid"}
    if hint is datetime:
        return {"type": "string", "format": "date-time"}
    if origin is tuple:
        item, ellipsis = typing.get_args(hint)
        assert ellipsis is Ellipsis, f"only tuple[X, ...] fields: {hint}"
        return {"type": "array", "items": _value_schema(item)}
    if origin is dict:
        return {"type": "object"}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _object_schema(hint)
    raise TypeError(f"no JSON Schema for a field of type {hint!r}")
