"""``Engine.permissions`` and the commands agree, case by case.

One table: the refusal cases of the four-eyes, assurance, membership and teamwork
tests (tests/test_engine__four_eyes.py, test_engine__guards.py, test_engine__act.py,
test_engine__teamwork.py) and the matching allowed cases. For each, the query is
asked first (it writes nothing), then the command is given: a refusal must be the same
error, message and reason kind; an allowed command must succeed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.conftest import T0, read, staff
from workflow import (
    SYSTEM,
    Actor,
    CivicflowError,
    Engine,
    FixedClock,
    InstanceView,
    People,
    Reason,
    parse_directory,
)
from workflow.store.models import TaskRow

ANA = staff("ana@city.example.gov", "planning/intake", "legal/counsel")  # intake and counsel
BEA = staff("bea@city.example.gov", "legal/counsel")
BO = staff("bo@city.example.gov", "planning/intake")
DEE = staff("dee@city.example.gov")
LEE = staff("lee@city.example.gov", "planning/intake", leads=("planning/intake",))
OUTSIDER = staff("cy@fire.example.gov", "fire/inspectors")
FIRE = staff("fi@fire.example.gov", "fire/inspectors")
ENGINEER = staff("en@planning.example.gov", "planning/engineers")
COUNSEL = staff("lc@legal.example.gov", "legal/counsel")
COUNSEL_MFA = staff("lc@legal.example.gov", "legal/counsel", mfa=True)
DIRECTORY = """
departments:
  planning: {title: Planning, groups: [intake]}
  legal: {title: Legal, groups: [counsel]}
users:
  - {email: ana@city.example.gov, queues: [planning/intake, legal/counsel]}
  - {email: bea@city.example.gov, queues: [legal/counsel]}
  - {email: bo@city.example.gov, queues: [planning/intake]}
  - {email: dee@city.example.gov, queues: [legal/counsel]}  # a delegate stays in the queue
  - {email: lee@city.example.gov, queues: [planning/intake], leads: [planning/intake]}
"""


@dataclass
class World:
    engine: Engine
    session: Session
    clock: FixedClock

    def start(self, workflow: str, input: dict[str, object]) -> InstanceView:
        return self.engine.start(self.session, workflow=workflow, input=input, actor=SYSTEM)

    def intake(self) -> uuid.UUID:
        view = self.start("approval", {"applicant": "Jo", "address": "1 Main St"})
        return view.open_tasks()[0].id

    def claimed_intake(self, by: Actor = BO) -> uuid.UUID:
        task = self.intake()
        self.engine.claim(self.session, task_id=task, actor=by)
        return task

    def completed_intake(self) -> uuid.UUID:
        task = self.intake()
        self.engine.act(self.session, task_id=task, action="accept", actor=BO)
        return task

    def signoff(self) -> uuid.UUID:
        """The four-eyes task, after ANA did the intake."""
        view = self.start("approval", {"applicant": "Jo", "address": "1 Main St"})
        view = self.engine.act(
            self.session, task_id=view.open_tasks()[0].id, action="accept", actor=ANA
        )
        for task in view.open_tasks():
            actor = FIRE if task.branch == "fire" else ENGINEER
            view = self.engine.act(self.session, task_id=task.id, action="approve", actor=actor)
        return view.open_tasks()[0].id

    def signoff_delegated(self, holder: Actor, to: Actor) -> uuid.UUID:
        task = self.signoff()
        self.engine.claim(self.session, task_id=task, actor=holder)
        self.engine.delegate(self.session, task_id=task, to=to.id, actor=holder)
        return task

    def legal_review(self) -> uuid.UUID:
        """A task that needs a sign-in with MFA."""
        return self.start("decision-routing", {"amount": 99999}).open_tasks()[0].id

    def absent_holder(self, days_later: int) -> uuid.UUID:
        """BO holds the intake and is away this week with DEE as substitute."""
        task = self.claimed_intake(BO)
        People(self.session).set_substitute(
            user=BO.id,
            substitute=DEE.id,
            starts_on=date(2026, 3, 1),
            ends_on=date(2026, 3, 6),
            actor=BO,
            now=T0,
        )
        self.clock.advance(timedelta(days=days_later))
        return task


@dataclass(frozen=True)
class Case:
    arrange: Callable[[World], uuid.UUID]
    actor: Actor
    command: str  # "act:<action>" or a command name
    refused: Reason | None  # None: allowed


CASES = {
    # four-eyes (test_engine__four_eyes.py)
    "four-eyes: whoever acted on the named state": Case(
        World.signoff, ANA, "act:sign", Reason.FOUR_EYES
    ),
    "four-eyes: a delegate acting for that person": Case(
        lambda w: w.signoff_delegated(ANA, BEA), BEA, "act:sign", Reason.FOUR_EYES
    ),
    "four-eyes: someone else": Case(World.signoff, BEA, "act:sign", None),
    "four-eyes: a delegate of someone else": Case(
        lambda w: w.signoff_delegated(BEA, DEE), DEE, "act:sign", None
    ),
    # assurance (test_engine__guards.py)
    "assurance: a session without MFA": Case(
        World.legal_review, COUNSEL, "act:approve", Reason.NEEDS_MFA
    ),
    "assurance: a session with MFA": Case(World.legal_review, COUNSEL_MFA, "act:approve", None),
    # membership and holding (test_engine__act.py)
    "act: a non-member of the queue": Case(
        World.intake, OUTSIDER, "act:accept", Reason.NOT_A_MEMBER
    ),
    "act: a member of the queue": Case(World.intake, BO, "act:accept", None),
    "act: a completed task": Case(World.completed_intake, LEE, "act:reject", Reason.TASK_NOT_OPEN),
    "act: a task claimed by someone else": Case(
        World.claimed_intake, LEE, "act:accept", Reason.HELD_BY_SOMEONE_ELSE
    ),
    "claim: a task claimed by someone else": Case(
        World.claimed_intake, LEE, "claim", Reason.HELD_BY_SOMEONE_ELSE
    ),
    "claim: by a non-member": Case(World.intake, OUTSIDER, "claim", Reason.NOT_A_MEMBER),
    "claim: a completed task": Case(World.completed_intake, BO, "claim", Reason.TASK_NOT_OPEN),
    "claim: an open task of my queue": Case(World.intake, BO, "claim", None),
    "unclaim: by the assignee": Case(World.claimed_intake, BO, "unclaim", None),
    "unclaim: by another member": Case(
        World.claimed_intake, ANA, "unclaim", Reason.NOT_ASSIGNEE_OR_LEAD
    ),
    "unclaim: by a lead": Case(World.claimed_intake, LEE, "unclaim", None),
    # teamwork (test_engine__teamwork.py)
    "assign: only a lead": Case(World.intake, BO, "assign", Reason.NOT_A_LEAD),
    "assign: by a lead": Case(World.intake, LEE, "assign", None),
    "delegate: needs a claimed task": Case(World.intake, BO, "delegate", Reason.NOT_CLAIMED),
    "delegate: by another member": Case(
        World.claimed_intake, ANA, "delegate", Reason.NOT_ASSIGNEE_OR_LEAD
    ),
    "delegate: by the assignee": Case(World.claimed_intake, BO, "delegate", None),
    "prioritize: only a lead": Case(World.intake, BO, "prioritize", Reason.NOT_A_LEAD),
    "prioritize: by a lead": Case(World.intake, LEE, "prioritize", None),
    "substitute: during the absence": Case(lambda w: w.absent_holder(0), DEE, "act:accept", None),
    "substitute: not outside the absence": Case(
        lambda w: w.absent_holder(7), DEE, "act:accept", Reason.HELD_BY_SOMEONE_ELSE
    ),
    "comment: from someone not on the case": Case(
        World.intake, COUNSEL, "comment", Reason.NOT_ON_THE_CASE
    ),
    "comment: from a member of the task's queue": Case(World.intake, BO, "comment", None),
}


@pytest.fixture
def world(engine: Engine, session: Session, clock: FixedClock) -> World:
    People(session).import_directory(parse_directory(DIRECTORY), now=T0, actor=SYSTEM)
    for name in ("engine/approval", "engine/decision"):
        engine.register(session, read(name), path=f"{name}.yaml")
    return World(engine, session, clock)


def _give(world: World, task_id: uuid.UUID, actor: Actor, command: str) -> None:
    """Give the command with valid input, so only who is asking can refuse it."""
    engine, session = world.engine, world.session
    if command.startswith("act:"):
        engine.act(session, task_id=task_id, action=command[4:], actor=actor)
    elif command == "assign":
        engine.assign(session, task_id=task_id, assignee=BO.id, actor=actor)
    elif command == "delegate":
        engine.delegate(session, task_id=task_id, to=LEE.id, actor=actor)
    elif command == "prioritize":
        engine.prioritize(session, task_id=task_id, priority=3, actor=actor)
    elif command == "comment":
        instance = _instance_of(world, task_id)
        engine.comment(session, instance_id=instance, task_id=task_id, body="ok", actor=actor)
    else:
        getattr(engine, command)(session, task_id=task_id, actor=actor)


def _instance_of(world: World, task_id: uuid.UUID) -> uuid.UUID:
    task = world.session.get(TaskRow, task_id)
    assert task is not None
    return task.instance_id


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_permissions__and_the_command_agree(world: World, case: Case) -> None:
    task_id = case.arrange(world)
    answer = world.engine.permissions(world.session, task_id=task_id, actor=case.actor)
    command, _, action = case.command.partition(":")
    refusal = answer.actions[action] if command == "act" else answer.commands[command]
    assert (refusal.reason if refusal else None) == case.refused
    assert answer.may(command, action or None) is (case.refused is None)
    if refusal is None:
        _give(world, task_id, case.actor, case.command)
        return
    with pytest.raises(CivicflowError) as caught:
        _give(world, task_id, case.actor, case.command)
    assert type(caught.value) is refusal.error
    assert (caught.value.message, caught.value.context["reason"]) == (
        refusal.message,
        case.refused,
    )


def test_permissions__a_substitute_would_act_on_behalf_of_the_absent_assignee(
    world: World,
) -> None:
    task_id = world.absent_holder(0)
    answer = world.engine.permissions(world.session, task_id=task_id, actor=DEE)
    assert (answer.on_behalf_of, answer.allowed()) == (BO.id, ("act:accept", "act:reject"))
