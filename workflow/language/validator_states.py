"""Structural checks of states and tasks, and the checking vocabulary they share.

Split from ``workflow.language.validator`` (which walks the top level of a definition) so that
each file fits in a head. Every check reports and carries on: a value of the wrong
type is described ("not a list") and skipped, never allowed to raise, and each
state's targets, guards and four-eyes references are recorded in the ``Outline``
for the whole-definition rules of ``workflow.language.semantics``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from jsonschema import Draft202012Validator

from workflow.errors import Problem
from workflow.language.durations import DurationError, parse_duration
from workflow.language.expressions import RESERVED_WORDS
from workflow.language.loader import Address, Document
from workflow.language.schemas import schema_problems
from workflow.language.semantics import ROOTS, Guard, Outline, Ref, did_you_mean

__all__ = [
    "EVENT",
    "IDENTIFIER",
    "KIND_KEYS",
    "QUEUE",
    "SLUG",
    "SPELLING",
    "StateChecker",
    "describe",
]

SLUG = re.compile(r"^[a-z][a-z0-9-]*$")
EVENT = re.compile(r"^[a-z][a-z0-9_.-]*$")  # action and event names
# The engine's own outbox events are named task.* and instance.*.
RESERVED_EVENT_PREFIXES = ("task.", "instance.")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # usable in guards: data.<state>
QUEUE = re.compile(r"^([a-z][a-z0-9-]*)/([a-z][a-z0-9-]*)$")
SPELLING = {
    SLUG: "a lowercase slug: letters, digits and '-', starting with a letter",
    EVENT: "lowercase letters, digits, '_', '.' and '-', starting with a letter",
}

TASK_KEYS: tuple[str, ...] = ("title", "queue", "form", "description", "priority", "due", "remind")
TASK_KEYS += ("escalate", "four_eyes", "assurance", "delegate")
DELEGATE = ("queue", "anyone")
KIND_KEYS = {
    "task": ("task", "on"),
    "wait": ("wait", "on"),
    "parallel": ("parallel", "join", "next"),
    "decision": ("next",),
    "final": ("final", "emit"),
}
STATE_KEYS = ("task", "wait", "parallel", "final", "on", "next", "join", "emit")
_MARKERS = ("task", "wait", "parallel", "final")
_KINDS = "task, wait, parallel, final, or only 'next' (a decision)"
_META = Draft202012Validator(
    Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
)
PRIORITY = (-100, 100)
_JSON_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")


def describe(value: Any) -> str:
    """How a wrong value reads in a message: ``not a list``, ``not the number 3``."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    return "a mapping" if value else "an empty mapping"


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


class StateChecker:
    def __init__(self, document: Document) -> None:
        self.doc = document
        self.problems: list[Problem] = []
        self.outline = Outline()
        self.departments: set[str] | None = None  # None: unreadable, so not checked

    # -- vocabulary ---------------------------------------------------------------

    def report(self, at: Address, message: str, *, key: bool = False) -> None:
        self.problems.append(self.doc.problem(at, message, key=key))

    def mapping(self, at: Address, value: Any, what: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.report(at, f"{what} must be a mapping of keys to values, not {describe(value)}")
        return None

    def keys(
        self, at: Address, body: dict[str, Any], allowed: Sequence[str], required: Sequence[str]
    ) -> None:
        what = f"'{at[-1]}'" if at and isinstance(at[-1], str) else "this mapping"
        what = what if at else "the definition"
        for key in body:
            if key not in allowed:
                hint = did_you_mean(key, allowed) or f" (known keys: {', '.join(allowed)})"
                self.report((*at, key), f"unknown key '{key}' in {what}{hint}", key=True)
        for key in required:
            if key not in body:
                self.report(at, f"{what} needs '{key}'", key=True)

    def text(self, at: Address, value: Any, what: str) -> str | None:
        if isinstance(value, str) and value.strip():
            return value
        self.report(at, f"{what} must be non-empty text, not {describe(value)}")
        return None

    def pattern(self, at: Address, value: Any, regex: re.Pattern[str], what: str) -> str | None:
        if isinstance(value, str) and regex.match(value):
            return value
        self.report(at, f"{what} must be {SPELLING[regex]}, not {describe(value)}")
        return None

    def duration(self, at: Address, value: Any) -> None:
        try:
            parse_duration(value)
        except DurationError as error:
            self.report(at, str(error))

    def queue(self, at: Address, value: Any) -> None:
        if not isinstance(value, str) or not QUEUE.match(value):
            self.report(at, f"a queue is 'department/group' in lowercase, not {describe(value)}")
            return
        department = value.split("/")[0]
        if self.departments is not None and department not in self.departments:
            hint = did_you_mean(department, self.departments)
            self.report(at, f"queue '{value}' names the undeclared department '{department}'{hint}")

    def schema(self, at: Address, value: Any, what: str) -> None:
        if not isinstance(value, dict):
            self.report(at, f"{what} must be a JSON Schema mapping, not {describe(value)}")
            return
        valid = True
        for error in _META.iter_errors(value):
            valid = False
            where = (*at, *(p for p in error.absolute_path if isinstance(p, str | int)))
            message = error.message
            if where[-1] == "type" and isinstance(error.instance, str):
                hint = did_you_mean(error.instance, _JSON_TYPES)
                message = f"'{error.instance}' is not a JSON type ({', '.join(_JSON_TYPES)}){hint}"
            self.report(where, f"{what} is not a valid JSON Schema: {message}")
        if valid:
            for path, message in schema_problems(value, what=what):
                self.report((*at, *path), message)

    def target(self, state: str, at: Address, value: Any, branches: tuple[str, ...] = ()) -> None:
        """A state name, or a list of ``when``/``to`` rules."""
        if isinstance(value, str):
            self.outline.targets.append(Ref(value, at, state))
        elif isinstance(value, list):
            self.rules(state, at, value, branches)
        else:
            self.outline.broken.add(state)
            self.report(at, f"a target is a state name or a list of rules, not {describe(value)}")

    def rules(self, state: str, at: Address, value: Any, branches: tuple[str, ...] = ()) -> None:
        """``when``/``to`` rules; only the last lacks ``when``, so one always matches."""
        if not isinstance(value, list) or not value:
            self.outline.broken.add(state)
            self.report(at, f"rules are a non-empty list of {{when, to}}, not {describe(value)}")
            return
        for index, rule in enumerate(value):
            here = (*at, index)
            if self.mapping(here, rule, "a rule") is None:
                self.outline.broken.add(state)
                continue
            self.keys(here, rule, ("when", "to"), ("to",))
            to = rule.get("to")
            if isinstance(to, str):
                self.outline.targets.append(Ref(to, (*here, "to"), state))
            else:
                self.outline.broken.add(state)
                if "to" in rule:
                    self.report((*here, "to"), f"'to' names a state, not {describe(to)}")
            last = index == len(value) - 1
            if "when" not in rule:
                if not last:
                    self.report(
                        here,
                        f"only the last rule may omit 'when': rule {index + 1} always "
                        "matches, so the rules after it never run",
                    )
                continue
            source = self.text((*here, "when"), rule["when"], "a 'when' guard")
            if source is not None:
                self.outline.guards.append(Guard(source, (*here, "when"), False, branches))
            if last:
                self.report(
                    (*here, "when"),
                    "the last rule must have no 'when', so that some rule always matches: "
                    "end with '- to: <state>'",
                    key=True,
                )

    # -- states -------------------------------------------------------------------

    def state(self, name: str, at: Address, body: Any) -> None:
        self.outline.states[name] = ""
        if not isinstance(body, dict):
            self.outline.broken.add(name)
            self.report(
                at, f"state '{name}' must be a mapping with one of {_KINDS}, not {describe(body)}"
            )
            return
        misspelt_kind = False
        for key in body:
            if key not in STATE_KEYS:
                hint = did_you_mean(key, STATE_KEYS) or f" (a state has {_KINDS})"
                self.report((*at, key), f"unknown key '{key}' in state '{name}'{hint}", key=True)
                misspelt_kind |= bool(did_you_mean(key, _MARKERS))
        if misspelt_kind and not any(key in _MARKERS for key in body):
            # ('paralel:') the kind is unknown, so every other key would look misplaced:
            # the hint above says it best
            self.outline.broken.add(name)
            return
        found = [k for k in body if k in STATE_KEYS]
        markers = [k for k in found if k in ("task", "wait", "parallel", "final")]
        if len(markers) != 1 and not (not markers and "next" in body):
            self.outline.broken.add(name)
            if not markers and len(found) < len(body):
                return  # a misspelt kind: the unknown-key hint above says it best
            mixed = "mixes kinds" if markers else "has no kind"
            self.report(
                at,
                f"state '{name}' {mixed}: found {_quoted(found) or 'no keys'}; a state is "
                f"exactly one of {_KINDS}",
                key=True,
            )
            return
        kind = markers[0] if markers else "decision"
        self.outline.states[name] = kind
        for key in found:
            if key not in KIND_KEYS[kind]:
                self.outline.broken.add(name)
                if kind == "final" and key in ("on", "next"):
                    message = f"a final state ends the workflow: remove '{key}' from '{name}'"
                else:
                    message = (
                        f"'{key}' does not belong in {kind} state '{name}' (found "
                        f"{_quoted(found)}; a {kind} state has {_quoted(KIND_KEYS[kind])})"
                    )
                self.report((*at, key), message, key=True)
        standstill = kind == "wait" and isinstance(body["wait"], dict) and "timeout" in body["wait"]
        for key in ("on", "next"):
            if key == "on" and standstill:
                continue  # a wait with only a timeout: a standstill period
            if key in KIND_KEYS[kind] and key not in body:
                self.outline.broken.add(name)
                alone = " (the events it waits for) or a 'timeout'" if kind == "wait" else ""
                self.report(at, f"{kind} state '{name}' needs '{key}'{alone}", key=True)
        checks = {
            "task": self._task,
            "wait": self._wait,
            "parallel": self._parallel,
            "decision": self._decision,
            "final": self._final,
        }
        checks[kind](name, at, body)

    def _task(self, name: str, at: Address, body: dict[str, Any]) -> None:
        self.task((*at, "task"), body["task"], TASK_KEYS)
        if "on" in body:
            self.transitions(name, (*at, "on"), body["on"], "action")

    def _wait(self, name: str, at: Address, body: dict[str, Any]) -> None:
        wait = body["wait"]
        if wait is not None and self.mapping((*at, "wait"), wait, "'wait'") is not None:
            self.keys((*at, "wait"), wait, ("timeout",), ())
            timeout = wait.get("timeout")
            here = (*at, "wait", "timeout")
            if "timeout" in wait and self.mapping(here, timeout, "'timeout'") is not None:
                self.keys(here, timeout, ("after", "to"), ("after", "to"))
                if "after" in timeout:
                    self.duration((*here, "after"), timeout["after"])
                if "to" in timeout:
                    self.target(name, (*here, "to"), timeout["to"])
        if "on" in body:
            self.transitions(name, (*at, "on"), body["on"], "event")

    def _parallel(self, name: str, at: Address, body: dict[str, Any]) -> None:
        here = (*at, "parallel")
        branches = self.mapping(here, body["parallel"], "'parallel'") or {}
        if not branches and isinstance(body["parallel"], dict):
            self.report(here, "'parallel' needs at least one branch: {name: {task: {...}}}")
        for branch, task in branches.items():
            if not IDENTIFIER.match(branch) or branch in ROOTS or branch in RESERVED_WORDS:
                self.report(
                    (*here, branch),
                    f"branch name '{branch}' must be letters, digits and '_', and not one "
                    f"of {', '.join(ROOTS)} nor a word of the expression language "
                    f"({', '.join(sorted(RESERVED_WORDS))}): 'next' rules refer to it by name",
                    key=True,
                )
            if self.mapping((*here, branch), task, f"branch '{branch}'") is not None:
                self.keys((*here, branch), task, ("task",), ("task",))
                if "task" in task:
                    self.task((*here, branch, "task"), task["task"], (*TASK_KEYS, "actions"))
        if "join" in body:
            self._join((*at, "join"), body["join"], len(branches))
        if "next" in body:
            self.rules(name, (*at, "next"), body["next"], tuple(branches))

    def _join(self, at: Address, join: Any, branches: int) -> None:
        if join in ("all", "any"):
            return
        if isinstance(join, dict) and list(join) == ["at_least"]:
            count = join["at_least"]
            if isinstance(count, int) and not isinstance(count, bool) and 1 <= count <= branches:
                return
            self.report(
                (*at, "at_least"),
                f"at_least must be a whole number from 1 to "
                f"{branches} (the number of branches), not {describe(count)}",
            )
            return
        self.report(at, f"join is 'all', 'any' or {{at_least: N}}, not {describe(join)}")

    def _decision(self, name: str, at: Address, body: dict[str, Any]) -> None:
        self.rules(name, (*at, "next"), body["next"])

    def _final(self, name: str, at: Address, body: dict[str, Any]) -> None:
        if body["final"] is not True:
            self.report((*at, "final"), f"'final' must be true, not {describe(body['final'])}")
        if "emit" in body:
            emit = self.pattern((*at, "emit"), body["emit"], EVENT, "an emitted event name")
            if emit is not None and emit.startswith(RESERVED_EVENT_PREFIXES):
                self.report(
                    (*at, "emit"),
                    f"an emitted event name may not start with "
                    f"{' or '.join(RESERVED_EVENT_PREFIXES)}: those are the engine's own "
                    f"events (docs/events.md), not '{emit}'",
                )

    def transitions(self, name: str, at: Address, value: Any, what: str) -> None:
        """``on``: each action or event name → a target."""
        body = self.mapping(at, value, "'on'")
        if body is None or not body:
            self.outline.broken.add(name)
            if body is not None:
                self.report(at, f"'on' needs at least one {what}: '<{what}>: <state>'")
            return
        for key, target in body.items():
            if not EVENT.match(key):
                self.report((*at, key), f"{what} name '{key}' must be {SPELLING[EVENT]}", key=True)
            self.target(name, (*at, key), target)

    def task(self, at: Address, value: Any, allowed: Sequence[str]) -> None:
        body = self.mapping(at, value, "a task")
        if body is None:
            return
        required = ("title", "queue", "actions") if "actions" in allowed else ("title", "queue")
        self.keys(at, body, allowed, required)
        if "title" in body and (title := self.text((*at, "title"), body["title"], "a title")):
            self.outline.guards.append(Guard(title, (*at, "title"), template=True))
        if "queue" in body:
            self.queue((*at, "queue"), body["queue"])
        if "form" in body:
            self.schema((*at, "form"), body["form"], "'form'")
        if "description" in body:
            self.text((*at, "description"), body["description"], "a description")
        priority = body.get("priority", 0)
        if not isinstance(priority, int) or isinstance(priority, bool):
            self.report((*at, "priority"), f"priority is a whole number, not {describe(priority)}")
        elif not PRIORITY[0] <= priority <= PRIORITY[1]:
            self.report(
                (*at, "priority"),
                f"priority is a whole number from {PRIORITY[0]} to {PRIORITY[1]} (as a queue "
                f"lead sets it), not {priority}",
            )
        for key in ("due", "remind"):
            if key in body:
                self.duration((*at, key), body[key])
        if "escalate" in body:
            self._escalate((*at, "escalate"), body["escalate"])
        if "four_eyes" in body:
            self._four_eyes((*at, "four_eyes"), body["four_eyes"])
        if body.get("assurance", "mfa") != "mfa":
            self.report(
                (*at, "assurance"), f"assurance is 'mfa', not {describe(body['assurance'])}"
            )
        if body.get("delegate", "queue") not in DELEGATE:
            self.report(
                (*at, "delegate"),
                f"delegate is 'queue' or 'anyone', not {describe(body['delegate'])}",
            )
        if "actions" in body:
            self._actions((*at, "actions"), body["actions"])

    def _escalate(self, at: Address, value: Any) -> None:
        body = self.mapping(at, value, "'escalate'")
        if body is not None:
            self.keys(at, body, ("after", "to"), ("after", "to"))
            if "after" in body:
                self.duration((*at, "after"), body["after"])
            if "to" in body:
                self.queue((*at, "to"), body["to"])

    def _four_eyes(self, at: Address, value: Any) -> None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.report(at, f"four_eyes is a list of state names, not {describe(value)}")
            return
        self.outline.four_eyes += [Ref(name, (*at, i)) for i, name in enumerate(value)]

    def _actions(self, at: Address, value: Any) -> None:
        if not isinstance(value, list) or not value:
            self.report(at, f"actions is a non-empty list of action names, not {describe(value)}")
            return
        for index, action in enumerate(value):
            if not isinstance(action, str) or not EVENT.match(action):
                self.report(
                    (*at, index),
                    f"an action name must be {SPELLING[EVENT]}, not {describe(action)}",
                )
            elif action in value[:index]:
                self.report((*at, index), f"action '{action}' is listed twice")
