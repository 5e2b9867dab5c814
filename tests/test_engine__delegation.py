"""Delegation stays with people who could work the task anyway — members of its
queue, or the assignee's declared substitute — unless the definition says
``delegate: anyone`` on the task."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from tests.conftest import DATA, T0
from workflow.actors import SYSTEM, Actor
from workflow.engine import Engine
from workflow.errors import ForbiddenError
from workflow.people.directory import load_directory
from workflow.people.registry import People
from workflow.views import TaskView

BEN = "ben.okafor@planning.example.gov"  # planning/intake
CLEO = "cleo.park@legal.example.gov"  # legal/counsel
DEV = "dev.rao@planning.example.gov"  # planning/intake, planning/engineers


@pytest.fixture
def people(session: Session) -> People:
    people = People(session)
    people.import_directory(load_directory(DATA / "directory" / "small.yaml"), now=T0, actor=SYSTEM)
    return people


def actor(people: People, email: str) -> Actor:
    return people.actor(email, idp="test-idp")


def claimed_intake(engine: Engine, session: Session, people: People, workflow: str) -> TaskView:
    """Ben's claimed intake task of a new case of ``workflow``."""
    case = engine.start(
        session,
        workflow=workflow,
        input={"applicant": "Jo", "address": "1 Main St"},
        actor=actor(people, BEN),
    )
    return engine.claim(session, task_id=case.open_tasks()[0].id, actor=actor(people, BEN))


def test_delegation__to_someone_outside_the_queue_is_refused(
    engine: Engine, session: Session, people: People, register
) -> None:
    task = claimed_intake(engine, session, people, register("engine/approval"))
    with pytest.raises(ForbiddenError, match="neither a member of 'planning/intake'"):
        engine.delegate(session, task_id=task.id, to=CLEO, actor=actor(people, BEN))
    assert engine.instance(session, task.instance_id).history[-1].action == "task.claimed"


def test_delegation__to_a_member_of_the_queue_is_allowed(
    engine: Engine, session: Session, people: People, register
) -> None:
    task = claimed_intake(engine, session, people, register("engine/approval"))
    engine.delegate(session, task_id=task.id, to=DEV, actor=actor(people, BEN))
    view = engine.act(session, task_id=task.id, action="accept", actor=actor(people, DEV))
    assert view.state == "reviews"


def test_delegation__to_the_assignees_declared_substitute_is_allowed(
    engine: Engine, session: Session, people: People, register
) -> None:
    task = claimed_intake(engine, session, people, register("engine/approval"))
    people.set_substitute(
        user=BEN,
        substitute=CLEO,
        starts_on=date(2026, 4, 1),
        ends_on=date(2026, 4, 10),
        actor=SYSTEM,
        now=T0,
    )
    delegated = engine.delegate(session, task_id=task.id, to=CLEO, actor=actor(people, BEN))
    assert delegated.id == task.id


def test_delegation__a_substitute_whose_absence_has_ended_is_outside_again(
    engine: Engine, session: Session, people: People, register
) -> None:
    task = claimed_intake(engine, session, people, register("engine/approval"))
    people.set_substitute(
        user=BEN,
        substitute=CLEO,
        starts_on=date(2026, 2, 1),
        ends_on=date(2026, 2, 10),
        actor=SYSTEM,
        now=T0,
    )
    with pytest.raises(ForbiddenError, match="declared substitute"):
        engine.delegate(session, task_id=task.id, to=CLEO, actor=actor(people, BEN))


def test_delegation__outside_the_queue_when_the_definition_says_delegate_anyone(
    engine: Engine, session: Session, people: People, register
) -> None:
    task = claimed_intake(engine, session, people, register("engine/approval-delegate-anyone"))
    engine.delegate(session, task_id=task.id, to=CLEO, actor=actor(people, BEN))
    view = engine.act(session, task_id=task.id, action="accept", actor=actor(people, CLEO))
    assert view.state == "reviews"
