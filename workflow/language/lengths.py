"""Names and titles a definition declares must fit the columns that store them.

A state, branch, action or department name becomes a column value of every task
and audit record written for it; SQLite would store a 150-character state name
silently while PostgreSQL refuses the first ``start``, so such a definition is
refused when it is validated, on both, at the place it is written. The bounds are
``workflow.limits``'s. The other rules (spelling, existence) are the validator's:
this pass looks only at lengths and skips whatever is not the expected shape.
"""

from __future__ import annotations

from typing import Any

from workflow.errors import Problem
from workflow.language.loader import Address, Document
from workflow.limits import MAX_DEFINITION_TITLE, MAX_NAME

__all__ = ["check_lengths"]


def check_lengths(document: Document) -> list[Problem]:
    """A problem for each declared name or title longer than its column."""
    data = document.data
    if not isinstance(data, dict):
        return []
    found: list[Problem] = []

    def value(at: Address, text: Any, what: str, limit: int = MAX_NAME) -> None:
        if isinstance(text, str) and len(text) > limit:
            found.append(document.problem(at, _message(what, text, limit)))

    def keys(at: Address, mapping: Any, what: str) -> None:
        if isinstance(mapping, dict):
            for key in mapping:
                if len(key) > MAX_NAME:
                    found.append(document.problem((*at, key), _message(what, key), key=True))

    def queue(at: Address, text: Any) -> None:
        if isinstance(text, str) and any(len(part) > MAX_NAME for part in text.split("/")):
            message = f"each part of a queue name may have at most {MAX_NAME} characters"
            found.append(document.problem(at, message))

    def task(at: Address, body: Any) -> None:
        if not isinstance(body, dict):
            return
        queue((*at, "queue"), body.get("queue"))
        escalate = body.get("escalate")
        if isinstance(escalate, dict):
            queue((*at, "escalate", "to"), escalate.get("to"))
        actions = body.get("actions")
        if isinstance(actions, list):
            for index, action in enumerate(actions):
                value((*at, "actions", index), action, "an action name")

    value(("workflow",), data.get("workflow"), "the workflow key")
    value(("title",), data.get("title"), "the title", MAX_DEFINITION_TITLE)
    keys(("departments",), data.get("departments"), "a department key")
    states = data.get("states")
    keys(("states",), states, "a state name")
    for name, body in states.items() if isinstance(states, dict) else ():
        if not isinstance(body, dict):
            continue
        at: Address = ("states", name)
        what = "an event name" if "wait" in body else "an action name"
        keys((*at, "on"), body.get("on"), what)
        task((*at, "task"), body.get("task"))
        parallel = body.get("parallel")
        keys((*at, "parallel"), parallel, "a branch name")
        for branch, spec in parallel.items() if isinstance(parallel, dict) else ():
            if isinstance(spec, dict):
                task((*at, "parallel", branch, "task"), spec.get("task"))
    return found


def _message(what: str, text: str, limit: int = MAX_NAME) -> str:
    return f"{what} may have at most {limit} characters (this one has {len(text)})"
