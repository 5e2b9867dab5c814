from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.conftest import T0, staff
from workflow.actors import SYSTEM
from workflow.engine import Engine
from workflow.errors import ForbiddenError
from workflow.people.directory import parse_directory
from workflow.people.registry import People
from workflow.store.models import TaskRow
from workflow.views import InstanceView

# Ana works intake *and* is legal counsel: exactly who four-eyes is for.
ANA = staff("ana@city.example.gov", "planning/intake", "legal/counsel")
BEA = staff("bea@city.example.gov", "legal/counsel")
FIRE = staff("fi@fire.example.gov", "fire/inspectors")
ENGINEER = staff("en@planning.example.gov", "planning/engineers")
DEE = staff("dee@city.example.gov")


@pytest.fixture
def known_people(session: Session) -> None:
    """Delegation needs its target to be a known person in the task's queue."""
    directory = parse_directory(
        "departments: {legal: {title: Legal, groups: [counsel]}}\n"
        "users: [{email: ana@city.example.gov, queues: [legal/counsel]},\n"
        "        {email: bea@city.example.gov, queues: [legal/counsel]},\n"
        "        {email: dee@city.example.gov, queues: [legal/counsel]}]\n"
    )
    People(session).import_directory(directory, now=T0, actor=SYSTEM)


@pytest.fixture
def at_signoff(engine: Engine, session: Session, register) -> InstanceView:
    view = engine.start(
        session,
        workflow=register("engine/approval"),
        input={"applicant": "Jo", "address": "1 Main St"},
        actor=ANA,
    )
    view = engine.act(session, task_id=view.open_tasks()[0].id, action="accept", actor=ANA)
    for task in view.open_tasks():
        actor = FIRE if task.branch == "fire" else ENGINEER
        view = engine.act(session, task_id=task.id, action="approve", actor=actor)
    assert view.state == "signoff"
    return view


def test_four_eyes__refuses_whoever_acted_on_the_named_state(
    engine: Engine, session: Session, at_signoff: InstanceView
) -> None:
    with pytest.raises(ForbiddenError, match="four-eyes"):
        engine.act(session, task_id=at_signoff.open_tasks()[0].id, action="sign", actor=ANA)
    assert engine.instance(session, at_signoff.id).state == "signoff"


def test_four_eyes__refuses_a_delegate_acting_for_that_person(
    engine: Engine, session: Session, at_signoff: InstanceView, known_people: None
) -> None:
    signoff = at_signoff.open_tasks()[0].id
    engine.claim(session, task_id=signoff, actor=ANA)
    engine.delegate(session, task_id=signoff, to=BEA.id, actor=ANA)
    with pytest.raises(
        ForbiddenError, match=r"four-eyes rule: ana@city\.example\.gov acted on intake"
    ):
        engine.act(session, task_id=signoff, action="sign", actor=BEA)
    assert engine.instance(session, at_signoff.id).state == "signoff"


def test_four_eyes__accepts_someone_else(
    engine: Engine, session: Session, at_signoff: InstanceView
) -> None:
    view = engine.act(session, task_id=at_signoff.open_tasks()[0].id, action="sign", actor=BEA)
    assert (view.state, view.status) == ("approved", "completed")


def test_four_eyes__the_data_it_needs_is_on_the_completed_task(at_signoff: InstanceView) -> None:
    [intake] = [t for t in at_signoff.tasks if t.state == "intake"]
    assert (intake.completed_by, intake.on_behalf_of) == (ANA.id, None)


def test_four_eyes__a_delegate_of_someone_else_may_act(
    engine: Engine, session: Session, at_signoff: InstanceView, known_people: None
) -> None:
    signoff = at_signoff.open_tasks()[0].id
    engine.claim(session, task_id=signoff, actor=BEA)
    engine.delegate(session, task_id=signoff, to=DEE.id, actor=BEA)
    view = engine.act(session, task_id=signoff, action="sign", actor=DEE)
    history = engine.instance(session, view.id).history
    assert (history[-1].actor, history[-1].on_behalf_of, view.state) == (DEE.id, BEA.id, "approved")


def test_four_eyes__the_same_address_in_capitals_is_the_same_person(
    engine: Engine, session: Session, at_signoff: InstanceView
) -> None:
    shouting_ana = staff("ANA@City.Example.GOV", "legal/counsel")
    with pytest.raises(ForbiddenError, match="four-eyes"):
        engine.act(
            session, task_id=at_signoff.open_tasks()[0].id, action="sign", actor=shouting_ana
        )


def test_four_eyes__a_completer_stored_in_capitals_is_the_same_person(
    engine: Engine, session: Session, at_signoff: InstanceView
) -> None:
    """Rows written before identities were normalised may hold capitals."""
    session.execute(
        update(TaskRow)
        .where(TaskRow.instance_id == at_signoff.id, TaskRow.state == "intake")
        .values(completed_by="Ana@CITY.example.gov")
    )
    with pytest.raises(ForbiddenError, match="four-eyes"):
        engine.act(session, task_id=at_signoff.open_tasks()[0].id, action="sign", actor=ANA)
