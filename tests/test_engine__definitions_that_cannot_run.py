"""Definitions that ``validate`` used to accept and that then crashed (or hung) at
``start``, end to end through the engine on SQLite and PostgreSQL: registering them is
now refused with the place of the mistake and stores nothing; the two shapes that
were wrongly refused now start and run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import read, staff
from workflow.clock import FixedClock
from workflow.engine import Engine
from workflow.errors import ConflictError, DefinitionError
from workflow.store.models import DefinitionRow

CLERK = staff("ana@planning.example.gov", "planning/intake")

CANNOT_RUN = {
    # (what happened at start before) -> the broken definition
    "PostgreSQL integer out of range": "priority-out-of-range",
    "OverflowError after 2 s of business-day counting": "duration-too-long",
    "jsonschema could not resolve the remote $ref": "schema-ref-remote",
    "jsonschema could not resolve the pointer": "schema-ref-bad-pointer",
    "PostgreSQL cannot store the NUL the title rendered": "title-template-nul",
    "PostgreSQL cannot store the NUL in the title text": "text-nul",
    "every start refused: the input is an object": "input-schema-not-object",
    "every action refused: the form data is an object": "form-schema-not-object",
    "a 29-character value held the process for seconds": "schema-pattern-catastrophic",
}


@pytest.mark.parametrize("name", CANNOT_RUN.values(), ids=list(CANNOT_RUN.values()))
def test_register__refuses_a_definition_that_cannot_run_and_stores_nothing(
    engine: Engine, session: Session, name: str
) -> None:
    with pytest.raises(DefinitionError) as refused:
        engine.register(session, read(f"invalid/{name}"), path=f"{name}.yaml")

    assert refused.value.problems and all(p.line > 1 for p in refused.value.problems)
    assert session.scalar(select(func.count()).select_from(DefinitionRow)) == 0


def test_a_wait_with_only_a_timeout__stands_still_then_moves_on(
    engine: Engine, session: Session, clock: FixedClock, register
) -> None:
    view = engine.start(session, workflow=register("valid/wait-standstill"), input={}, actor=CLERK)
    assert (view.state, view.open_tasks()) == ("objection_period", ())

    clock.advance(timedelta(days=14))
    assert engine.run_timer(
        session,
        kind="wait.timeout",
        instance_id=view.id,
        task_id=None,
        payload={"state": "objection_period"},
    )

    assert engine.instance(session, view.id).state == "decide"


def test_a_guard_on_an_input_field_declared_under_all_of__decides(
    engine: Engine, session: Session, register
) -> None:
    key = register("valid/guard-input-allof")

    house = engine.start(session, workflow=key, input={"kind": "house", "floors": 3}, actor=CLERK)
    shed = engine.start(session, workflow=key, input={"kind": "shed"}, actor=CLERK)

    assert [house.state, shed.state] == ["structural", "simple"]
    assert house.open_tasks()[0].title == "Structural review (3 floors)"


def test_a_wait_with_only_a_timeout__refuses_events_saying_it_waits_for_its_timeout(
    engine: Engine, session: Session, register
) -> None:
    view = engine.start(session, workflow=register("valid/wait-standstill"), input={}, actor=CLERK)

    with pytest.raises(ConflictError, match="it waits for: nothing but its timeout"):
        engine.signal(session, instance_id=view.id, event="objection.filed", actor=CLERK)
