"""Who may do what to a task: the one copy of the rules.

Every engine command that works a task asks these functions before it writes
anything, and ``Engine.permissions`` asks the same functions for every command at
once, so the buttons a UI shows and the refusals the engine gives cannot disagree. A
rule returns ``None`` (allowed) or a ``Refusal``: a typed reason, the message a person
reads, and the error the command raises (``Refusal.exception``).

The rules are pure. The two facts that need a query are passed as functions and
asked only when a rule gets that far, so a command pays for no more queries than
before: whom the task's assignee has as substitute today (only when someone other
than the assignee or the delegate acts), and who completed the states a four-eyes
rule names (only when the task has one).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from workflow.actors import Actor
from workflow.errors import CivicflowError, ConflictError, ForbiddenError
from workflow.language.spec import TaskSpec

__all__ = [
    "COMMANDS",
    "Reason",
    "Refusal",
    "TaskPermissions",
    "acting_as",
    "may_act",
    "may_assign",
    "may_claim",
    "may_comment",
    "may_delegate",
    "may_prioritize",
    "may_unclaim",
]

# Whom the absent ``assignee`` has as substitute today (None: nobody, or not away).
SubstituteOf = Callable[[str], str | None]
# Everyone who completed a task in these states of the instance (four-eyes).
Completers = Callable[[tuple[str, ...]], set[str]]

# The commands on a task besides acting on it, in the order a UI would list them.
COMMANDS = ("claim", "unclaim", "assign", "delegate", "prioritize", "comment")


class Reason(StrEnum):
    """Why a command is refused; stable names for the UI and the API."""

    TASK_NOT_OPEN = "task_not_open"  # completed or cancelled
    TASK_CHANGED = "task_changed"  # not the version the client loaded
    NOT_A_MEMBER = "not_a_member"  # of the task's queue
    HELD_BY_SOMEONE_ELSE = "held_by_someone_else"  # claimed by another person
    FOUR_EYES = "four_eyes"  # acted on a state this one must be checked against
    NEEDS_MFA = "needs_mfa"  # the task needs a sign-in with multi-factor auth
    NOT_A_LEAD = "not_a_lead"  # of the task's queue
    NOT_ASSIGNEE_OR_LEAD = "not_assignee_or_lead"
    NOT_CLAIMED = "not_claimed"  # nobody holds the task yet
    NOT_ON_THE_CASE = "not_on_the_case"  # comments and files come from its staff


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: Reason
    message: str
    error: type[CivicflowError] = field(compare=False)
    context: Mapping[str, str] = field(default_factory=dict, compare=False)

    def exception(self) -> CivicflowError:
        """The error the command raises; its context names the ``reason``."""
        return self.error(self.message, reason=self.reason.value, **self.context)

    def as_json(self) -> dict[str, str]:
        return {"reason": self.reason.value, "message": self.message}


class TaskLike(Protocol):
    """The task facts the rules read (a stored task row)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def state(self) -> str: ...
    @property
    def queue(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def assignee(self) -> str | None: ...
    @property
    def delegate(self) -> str | None: ...
    @property
    def completed_by(self) -> str | None: ...
    @property
    def version(self) -> int: ...


@dataclass(frozen=True, slots=True)
class TaskPermissions:
    """What ``actor`` may do to a task now. ``actions`` maps each action the task
    offers to None (may act) or the refusal; ``commands`` does the same for
    ``COMMANDS``. ``on_behalf_of`` is whom the actor would act for (as delegate or
    substitute), when acting is allowed."""

    task_id: uuid.UUID
    actor: str
    on_behalf_of: str | None
    actions: Mapping[str, Refusal | None]
    commands: Mapping[str, Refusal | None]

    def may(self, command: str, action: str | None = None) -> bool:
        """Whether ``command`` (or acting with ``action``: ``may("act", "approve")``)
        is allowed; an action the task does not offer is not."""
        if command == "act":
            return action is not None and action in self.actions and self.actions[action] is None
        return command in self.commands and self.commands[command] is None

    def allowed(self) -> tuple[str, ...]:
        """What the UI shows as buttons: ``act:<action>`` and command names."""
        acts = [f"act:{action}" for action, refusal in self.actions.items() if refusal is None]
        return (*acts, *(name for name, refusal in self.commands.items() if refusal is None))

    def as_json(self) -> dict[str, Any]:
        def entries(table: Mapping[str, Refusal | None]) -> dict[str, Any]:
            return {k: None if r is None else r.as_json() for k, r in table.items()}

        return {
            "task_id": str(self.task_id),
            "actor": self.actor,
            "on_behalf_of": self.on_behalf_of,
            "actions": entries(self.actions),
            "commands": entries(self.commands),
        }


# -- the rules --------------------------------------------------------------------------


def _open(task: TaskLike, expected_version: int | None = None) -> Refusal | None:
    if task.status != "open":
        who = f" by {task.completed_by}" if task.completed_by else ""
        return Refusal(
            Reason.TASK_NOT_OPEN,
            f"this task is already {task.status}{who}",
            ConflictError,
            {"task": str(task.id), "state": task.state},
        )
    if expected_version is not None and expected_version != task.version:
        return Refusal(
            Reason.TASK_CHANGED,
            "this task changed since you loaded it; reload it",
            ConflictError,
            {"task": str(task.id)},
        )
    return None


def _not_a_member(task: TaskLike, actor: Actor) -> Refusal:
    return Refusal(
        Reason.NOT_A_MEMBER,
        f"{actor.id} is not a member of queue '{task.queue}'",
        ForbiddenError,
        {"task": str(task.id), "queue": task.queue},
    )


def acting_as(task: TaskLike, actor: Actor, substitute_of: SubstituteOf) -> Actor | Refusal:
    """Who acts, and for whom. An unclaimed task is open to its queue's members; a
    claimed one to its assignee, the person it was delegated to, and the assignee's
    out-of-office substitute — the last two act *on behalf of* the assignee."""
    if task.assignee is None:
        return actor.acting_for(None) if actor.member_of(task.queue) else _not_a_member(task, actor)
    if task.assignee == actor.id:
        return actor.acting_for(None)
    if task.delegate == actor.id or substitute_of(task.assignee) == actor.id:
        return actor.acting_for(task.assignee)
    return Refusal(
        Reason.HELD_BY_SOMEONE_ELSE,
        f"this task is claimed by {task.assignee}",
        ForbiddenError,
        {"task": str(task.id)},
    )


def may_act(
    task: TaskLike,
    actor: Actor,
    spec: TaskSpec,
    *,
    substitute_of: SubstituteOf,
    completers: Completers,
    expected_version: int | None = None,
) -> Actor | Refusal:
    """The actor as they would act (possibly on someone's behalf), or why they may
    not act on this task at all. Which actions it offers, and whether the form data
    fits, is the runtime's to say, not a matter of who is asking."""
    refusal = _open(task, expected_version)
    if refusal is not None:
        return refusal
    acting = acting_as(task, actor, substitute_of)
    if isinstance(acting, Refusal):
        return acting
    if spec.four_eyes:
        earlier = completers(spec.four_eyes)
        if acting.id in earlier or (acting.on_behalf_of and acting.on_behalf_of in earlier):
            who = acting.on_behalf_of if acting.on_behalf_of in earlier else acting.id
            return Refusal(
                Reason.FOUR_EYES,
                f"four-eyes rule: {who} acted on {', '.join(spec.four_eyes)} of this case, "
                f"so someone else must act on '{task.state}'",
                ForbiddenError,
                {"task": str(task.id), "state": task.state},
            )
    if spec.assurance == "mfa" and not acting.mfa:
        return Refusal(
            Reason.NEEDS_MFA,
            f"'{task.state}' needs a sign-in with multi-factor authentication; "
            "sign in again with MFA to act",
            ForbiddenError,
            {"task": str(task.id), "state": task.state},
        )
    return acting


def may_claim(task: TaskLike, actor: Actor) -> Refusal | None:
    """Take an open task from the queue: its members may, unless someone holds it."""
    refusal = _open(task)
    if refusal is not None:
        return refusal
    if task.assignee is not None and task.assignee != actor.id:
        return Refusal(
            Reason.HELD_BY_SOMEONE_ELSE,
            f"already claimed by {task.assignee}",
            ConflictError,
            {"task": str(task.id)},
        )
    if task.assignee is None and not actor.member_of(task.queue):
        return _not_a_member(task, actor)
    return None


def may_unclaim(task: TaskLike, actor: Actor) -> Refusal | None:
    """Put a claimed task back in the queue: its assignee or a queue lead."""
    refusal = _open(task)
    if refusal is None and task.assignee != actor.id and task.queue not in actor.leads:
        return Refusal(
            Reason.NOT_ASSIGNEE_OR_LEAD,
            "only the assignee or a queue lead may unclaim",
            ForbiddenError,
            {"task": str(task.id)},
        )
    return refusal


def may_assign(task: TaskLike, actor: Actor) -> Refusal | None:
    """Assign (or reassign) the task: a lead of its queue. Whether the assignee is a
    member of the queue is the command's check of its input."""
    return _open(task) or _lead(task, actor, f"only a lead of '{task.queue}' may assign its tasks")


def may_prioritize(task: TaskLike, actor: Actor) -> Refusal | None:
    return _open(task) or _lead(task, actor, f"only a lead of '{task.queue}' may set priorities")


def may_delegate(task: TaskLike, actor: Actor) -> Refusal | None:
    """Let someone act on the assignee's behalf: the assignee or a queue lead, once
    someone holds the task."""
    refusal = _open(task)
    if refusal is not None:
        return refusal
    if task.assignee is None:
        return Refusal(
            Reason.NOT_CLAIMED,
            "claim or assign the task before delegating it",
            ConflictError,
            {"task": str(task.id)},
        )
    if actor.id != task.assignee and task.queue not in actor.leads:
        return Refusal(
            Reason.NOT_ASSIGNEE_OR_LEAD,
            "only the assignee or a queue lead may delegate this task",
            ForbiddenError,
            {"task": str(task.id)},
        )
    return None


def may_comment(tasks: Iterable[TaskLike], actor: Actor, instance_id: uuid.UUID) -> Refusal | None:
    """Comments and files come from people working the case: members of a queue of
    one of ``tasks`` (the task commented on, or all of the instance's), or anyone one
    of them is assigned or delegated to."""
    for task in tasks:
        if actor.member_of(task.queue) or actor.id in (task.assignee, task.delegate):
            return None
    return Refusal(
        Reason.NOT_ON_THE_CASE,
        "only staff working on this case may comment or attach files",
        ForbiddenError,
        {"instance": str(instance_id)},
    )


def _lead(task: TaskLike, actor: Actor, message: str) -> Refusal | None:
    if task.queue in actor.leads:
        return None
    return Refusal(Reason.NOT_A_LEAD, message, ForbiddenError, {"task": str(task.id)})
