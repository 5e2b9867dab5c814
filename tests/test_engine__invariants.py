"""What the validator or the engine guarantees, broken on purpose, is an
``InvariantError``: a bug to fix, never an ``ExpressionError`` blamed on a guard."""

from __future__ import annotations

import uuid
from dataclasses import replace
from types import MappingProxyType

import pytest
from sqlalchemy.orm import Session

from tests.conftest import T0, read
from workflow import compile_definition
from workflow.engine import Engine
from workflow.errors import ExpressionError, InvariantError
from workflow.runtime.decisions import Runtime


def test_a_decision_whose_rules_all_fail__is_an_invariant_error() -> None:
    """The validator requires an unguarded last rule; this spec skipped it."""
    spec = compile_definition(read("engine/decision"))
    route = spec.states["route"]
    guarded_only = replace(route, next=route.next[:1])
    spec = replace(spec, states=MappingProxyType({**spec.states, "route": guarded_only}))
    with pytest.raises(InvariantError, match="no rule of 'route' matched") as caught:
        Runtime(spec).start({"amount": 10}, T0)
    assert not isinstance(caught.value, ExpressionError)


def test_a_timer_of_an_unknown_kind__is_an_invariant_error(
    engine: Engine, session: Session
) -> None:
    with pytest.raises(InvariantError, match=r"cannot run a 'task\.vanish' timer"):
        engine.run_timer(
            session, kind="task.vanish", instance_id=None, task_id=uuid.uuid4(), payload={}
        )
