"""One ``transitions`` state machine per definition *version*, built once and shared.

Instances are not attached to the machine (``add_model`` scans every attached model,
which gets slow with thousands of live instances). Instead each call drives the
machine's event table directly with a throw-away cursor holding the stored state:
``Event.trigger`` reads and writes only the cursor, so concurrent calls from many
threads share the machine safely.

Event names: ``<state>:<action>`` for task actions and awaited events,
``<state>:next`` for the rules of parallel and decision states, and
``<state>:timeout`` for a wait's timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from transitions import EventData, Machine

from workflow.errors import ExpressionError, InvariantError
from workflow.language.spec import Rule, StateKind, WorkflowSpec

__all__ = ["StateMachine"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

Scope = Mapping[str, object]


class _Cursor:
    """The one attribute ``transitions`` reads and writes: the current state."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def _guard(rule: Rule) -> Callable[[EventData], bool]:
    expression = rule.when
    assert expression is not None

    def check(event: EventData) -> bool:
        return bool(expression.evaluate(event.kwargs["scope"]))

    return check


class StateMachine:
    def __init__(self, spec: WorkflowSpec) -> None:
        self.spec = spec
        self._machine = Machine(
            model=None,
            states=list(spec.states),
            initial=spec.start,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
            name=f"{spec.key}@{spec.content_hash[:12]}",
        )
        for state in spec.states.values():
            for name, rules in state.on.items():
                self._add(f"{state.name}:{name}", state.name, rules)
            if state.kind in (StateKind.PARALLEL, StateKind.DECISION):
                self._add(f"{state.name}:next", state.name, state.next)
            if state.timeout is not None:
                self._add(f"{state.name}:timeout", state.name, (Rule(to=state.timeout.to),))

    def _add(self, trigger: str, source: str, rules: tuple[Rule, ...]) -> None:
        for rule in rules:
            conditions: list[Any] = [_guard(rule)] if rule.when is not None else []
            self._machine.add_transition(trigger, source, rule.to, conditions=conditions)

    def has_event(self, state: str, name: str) -> bool:
        return f"{state}:{name}" in self._machine.events

    def fire(self, state: str, name: str, scope: Scope) -> str:
        """The state reached from ``state`` by event ``name`` given ``scope``.

        Raises ``ExpressionError`` when a guard fails to evaluate, and
        ``InvariantError`` when the state has no such transition or no rule matched
        (the validator makes both impossible for compiled definitions).
        """
        event = self._machine.events.get(f"{state}:{name}")
        if event is None:
            raise InvariantError(
                f"state '{state}' has no transition '{name}'", state=state, action=name
            )
        cursor = _Cursor(state)
        try:
            moved = event.trigger(cursor, scope=scope)
        except ExpressionError as error:
            error.context.setdefault("state", state)
            error.context.setdefault("action", name)
            raise
        if not moved:
            raise InvariantError(
                f"no rule of '{state}' matched for '{name}'", state=state, action=name
            )
        return cursor.state
