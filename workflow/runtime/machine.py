"""One ``transitions`` state machine per definition *version*, built once and shared.

The machine is the definition's transition table: which triggers may fire from each
state, and, through its guarded transitions, where each one leads. ``offers`` answers
the first (the actions a task offers, the events a wait awaits) for the runtime's
checks and for "what may this person do here?"; ``fire`` runs the guard conditions
(``when:``) in declaration order and says where the first passing rule goes.

Instances are not attached to the machine (``add_model`` scans every attached model,
which gets slow with thousands of live instances). Instead each call drives the
machine's event table directly with a throw-away cursor holding the stored state:
``Event.trigger`` reads and writes only the cursor, so concurrent calls from many
threads share the machine safely.

Trigger names: ``<state>:<action>`` for task actions and awaited events,
``<state>/<branch>:<action>`` for a parallel branch's actions (internal transitions:
acting in a branch does not leave the state; the join decides), ``<state>:#next``
for the rules of parallel and decision states, and ``<state>:#timeout`` for a wait's
timeout (``#`` is not allowed in action and event names, so they never collide).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from transitions import EventData, Machine

from workflow.errors import ExpressionError, InvariantError
from workflow.language.spec import Rule, StateKind, WorkflowSpec

__all__ = ["NEXT", "TIMEOUT", "StateMachine"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

Scope = Mapping[str, object]
NEXT = "#next"  # the rules of a parallel or decision state
TIMEOUT = "#timeout"  # a wait state's timeout


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
            for branch, task in state.branches.items():
                for action in task.actions:
                    trigger = f"{state.name}/{branch}:{action}"
                    self._machine.add_transition(trigger, state.name, None)  # internal
            if state.kind in (StateKind.PARALLEL, StateKind.DECISION):
                self._add(f"{state.name}:{NEXT}", state.name, state.next)
            if state.timeout is not None:
                self._add(f"{state.name}:{TIMEOUT}", state.name, (Rule(to=state.timeout.to),))
        self._offers = self._offered()

    def _offered(self) -> dict[tuple[str, str | None], tuple[str, ...]]:
        """(state, branch) → the names of the triggers that may fire from there, read
        once from the machine's own table (``get_triggers``), minus the routing ones."""
        offers: dict[tuple[str, str | None], tuple[str, ...]] = {}
        for state in self.spec.states:
            for trigger in self._machine.get_triggers(state):
                where, _, name = trigger.rpartition(":")
                source, _, branch = where.partition("/")
                if source == state and not name.startswith("#"):
                    key = (state, branch or None)
                    offers[key] = (*offers.get(key, ()), name)
        return offers

    def offers(self, state: str, branch: str | None = None) -> tuple[str, ...]:
        """What may be done in ``state``: the actions its task (or ``branch``'s task)
        offers, or the events a wait state waits for, in declaration order."""
        return self._offers.get((state, branch), ())

    def _add(self, trigger: str, source: str, rules: tuple[Rule, ...]) -> None:
        for rule in rules:
            conditions: list[Any] = [_guard(rule)] if rule.when is not None else []
            self._machine.add_transition(trigger, source, rule.to, conditions=conditions)

    def fire(self, state: str, name: str, scope: Scope) -> str:
        """The state reached from ``state`` by trigger ``name`` (an action, an event,
        ``NEXT`` or ``TIMEOUT``) given ``scope``: the guards run in order.

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
