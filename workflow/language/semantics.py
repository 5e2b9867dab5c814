"""Rules about a definition as a whole: the state graph, names and guards.

``workflow.language.validator`` checks each mapping on its own and records what it saw in an
``Outline`` (states and their kinds, every target, guard and four-eyes reference with
its address). The rules here need the whole picture — a target exists, every state
is reachable and can finish, a guard names only things that will exist at run time —
so they run once the outline is complete, and report at the place each reference was
written. States whose exits could not be read are treated as "might lead anywhere",
so one mistake is not echoed as three.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from workflow.errors import Problem
from workflow.language.expressions import ExpressionSyntaxError, parse_expression, parse_template
from workflow.language.loader import Address, Document

__all__ = ["ROOTS", "Guard", "Outline", "Ref", "check_semantics", "did_you_mean"]

ROOTS = ("input", "data", "form")
"""The names every guard and title may use; parallel ``next`` rules add branch names."""

_TASK_KINDS = ("task", "parallel")


@dataclass(frozen=True, slots=True)
class Ref:
    """A state name written at ``at`` (by state ``source`` when it is a target)."""

    name: str
    at: Address
    source: str = ""


@dataclass(frozen=True, slots=True)
class Guard:
    """A ``when`` expression or a title template, written at ``at``."""

    source: str
    at: Address
    template: bool = False
    branches: tuple[str, ...] = ()


@dataclass(slots=True)
class Outline:
    """What the structural pass found, for the whole-definition rules."""

    states: dict[str, str] = field(default_factory=dict)  # name -> kind ("" unreadable)
    states_readable: bool = False  # False: 'states' missing or not a mapping
    broken: set[str] = field(default_factory=set)  # states whose exits are unknown
    start: Ref | None = None
    targets: list[Ref] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)
    four_eyes: list[Ref] = field(default_factory=list)
    input_properties: frozenset[str] | None = None


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for a close match, else ``""``."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def check_semantics(document: Document, outline: Outline) -> list[Problem]:
    problems: list[Problem] = []
    states = outline.states
    if not outline.states_readable:
        return problems  # every name would look unknown: say nothing rather than noise
    if outline.start is not None and outline.start.name not in states:
        problems.append(_missing_state(document, outline.start, "start", states))
    for ref in outline.targets:
        if ref.name not in states:
            problems.append(_missing_state(document, ref, "the target", states))
            outline.broken.add(ref.source)
    problems += _graph(document, outline)
    problems += _four_eyes(document, outline)
    for guard in outline.guards:
        problems += _guard(document, outline, guard)
    return problems


def _missing_state(document: Document, ref: Ref, what: str, states: Iterable[str]) -> Problem:
    hint = did_you_mean(ref.name, states)
    return document.problem(ref.at, f"{what} '{ref.name}' is not a state{hint}")


def _graph(document: Document, outline: Outline) -> list[Problem]:
    states = outline.states
    if not states:
        return []
    problems: list[Problem] = []
    edges: dict[str, set[str]] = {name: set() for name in states}
    for ref in outline.targets:
        if ref.source in edges and ref.name in states:
            edges[ref.source].add(ref.name)
    finals = {name for name, kind in states.items() if kind == "final"}
    if not finals and "" not in states.values():
        problems.append(
            document.problem(
                ("states",),
                "there is no final state: add one, e.g. 'done: {final: true}', "
                "so that instances can finish",
                key=True,
            )
        )
    start = outline.start.name if outline.start is not None else None
    reached = _closure({start}, edges) if start in states else set()
    # a state whose exits could not be read may lead anywhere: do not guess
    if reached and not reached & outline.broken:
        for name in states:
            if name not in reached:
                problems.append(
                    document.problem(
                        ("states", name),
                        f"state '{name}' is unreachable from the start state '{start}'",
                        key=True,
                    )
                )
    problems += _decision_loops(document, outline, edges)
    if finals:
        backwards: dict[str, set[str]] = {name: set() for name in states}
        for source, targets in edges.items():
            for target in targets:
                backwards[target].add(source)
        exits = finals | outline.broken | {n for n, kind in states.items() if not kind}
        finishing = _closure(exits, backwards)
        for name in states:
            if name not in finishing:
                problems.append(
                    document.problem(
                        ("states", name),
                        f"state '{name}' has no way out: no path from it reaches a final state",
                        key=True,
                    )
                )
    return problems


def _decision_loops(
    document: Document, outline: Outline, edges: dict[str, set[str]]
) -> list[Problem]:
    """Decision states that can lead back to themselves with nothing in between.

    Data cannot change between two decisions of the same step, so a decision met
    again chooses as it did before: once entered, such a loop never ends.
    """
    decisions = {name for name, kind in outline.states.items() if kind == "decision"}
    problems: list[Problem] = []
    reported: set[str] = set()
    for name in outline.states:
        if name not in decisions or name in reported:
            continue
        loop = _path_back(name, {d: edges[d] & decisions for d in decisions})
        if loop:
            reported.update(loop)
            problems.append(
                document.problem(
                    ("states", name),
                    f"decision states loop with no task or wait in between "
                    f"({' -> '.join([*loop, name])}): the same data would choose the same "
                    "way forever",
                    key=True,
                )
            )
    return problems


def _path_back(start: str, edges: dict[str, set[str]]) -> list[str]:
    """A path start -> ... leading back to ``start`` (without repeating it), or []."""
    parents: dict[str, str] = {}
    pending = [start]
    while pending:
        current = pending.pop()
        for nxt in sorted(edges.get(current, ())):
            if nxt == start:
                path = [current]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return path[::-1]
            if nxt not in parents:
                parents[nxt] = current
                pending.append(nxt)
    return []


def _closure(seeds: set[str], edges: dict[str, set[str]]) -> set[str]:
    seen = set(seeds)
    pending = list(seeds)
    while pending:
        for nxt in edges.get(pending.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                pending.append(nxt)
    return seen


def _four_eyes(document: Document, outline: Outline) -> list[Problem]:
    problems: list[Problem] = []
    for ref in outline.four_eyes:
        kind = outline.states.get(ref.name)
        if kind is None:
            hint = did_you_mean(ref.name, outline.states)
            message = f"four_eyes names '{ref.name}', which is not a state{hint}"
        elif kind and kind not in _TASK_KINDS:
            message = (
                f"four_eyes names '{ref.name}', a {kind} state; only task and parallel "
                "states have people who act on them"
            )
        else:
            continue
        problems.append(document.problem(ref.at, message))
    return problems


def _guard(document: Document, outline: Outline, guard: Guard) -> list[Problem]:
    what = "title" if guard.template else "guard"
    try:
        parsed = (parse_template if guard.template else parse_expression)(guard.source)
    except ExpressionSyntaxError as error:
        return [document.problem(guard.at, f"invalid {what}: {error.message}", offset=error.offset)]
    roots = (*ROOTS, *guard.branches)
    problems: list[Problem] = []
    for name in sorted(tuple(str(part) for part in name) for name in parsed.names if name):
        message = _name_problem(outline, name, roots)
        if message is not None:
            offset = _offset_of(guard.source, name)
            problems.append(document.problem(guard.at, f"{what} {message}", offset=offset))
    return problems


def _name_problem(outline: Outline, name: tuple[str, ...], roots: tuple[str, ...]) -> str | None:
    root = name[0]
    if root not in roots:
        return (
            f"uses the unknown name '{root}'{did_you_mean(root, roots)} "
            f"(known here: {', '.join(roots)})"
        )
    if len(name) < 2:
        return None
    properties = outline.input_properties
    if root == "input" and properties is not None and name[1] not in properties:
        hint = did_you_mean(name[1], properties)
        return f"uses 'input.{name[1]}', which the input schema does not declare{hint}"
    if root == "data" and name[1] not in outline.states:
        hint = did_you_mean(name[1], outline.states)
        return (
            f"uses 'data.{name[1]}', but data is kept by state name and there is no "
            f"state '{name[1]}'{hint}"
        )
    return None


def _offset_of(source: str, name: tuple[str, ...]) -> int:
    """Where ``name`` (a dotted path) is written in ``source``; 0 when not found."""
    for parts in (name[:2], name[:1]):
        pattern = r"\s*\.\s*".join(re.escape(part) for part in parts)
        match = re.search(rf"(?<![\w.]){pattern}(?!\w)", source)
        if match:
            return match.start()
    return 0
