from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.conftest import DATA, T0
from workflow.actors import SYSTEM, Actor
from workflow.clock import FixedClock
from workflow.engine import Engine
from workflow.errors import InvalidDataError
from workflow.inbox.query import InboxQuery
from workflow.people.directory import load_directory
from workflow.people.registry import People
from workflow.views import TaskView

ANA = "ana.ortiz@planning.example.gov"  # planning/intake (lead), planning/supervisors
BEN = "ben.okafor@planning.example.gov"  # planning/intake
CLEO = "cleo.park@legal.example.gov"  # legal/counsel
DEV = "dev.rao@planning.example.gov"  # planning/intake, planning/engineers


@pytest.fixture
def people(session: Session) -> People:
    people = People(session)
    people.import_directory(load_directory(DATA / "directory" / "small.yaml"), now=T0, actor=SYSTEM)
    return people


@pytest.fixture
def who(people: People) -> Callable[[str], Actor]:
    return lambda email: people.actor(email, idp="test-idp")


@pytest.fixture
def intake(
    engine: Engine, session: Session, register: Callable[[str], str], who: Callable[[str], Actor]
) -> Callable[[], TaskView]:
    """Start an approval case; its one open task (planning/intake, due in 2 business days)."""
    workflow = register("engine/approval")

    def _start() -> TaskView:
        case = engine.start(
            session,
            workflow=workflow,
            input={"applicant": "Jo", "address": "1 Main St"},
            actor=who(ANA),
        )
        return case.open_tasks()[0]

    return _start


def ids(engine: Engine, session: Session, actor: Actor, view: str) -> list[object]:
    return [t.id for t in engine.inbox_page(session, actor=actor, query=InboxQuery(view)).items]


def away(people: People, user: str, substitute: str) -> None:
    people.set_substitute(
        user=user,
        substitute=substitute,
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 6),
        actor=SYSTEM,
        now=T0,
    )


def test_mine__lists_tasks_assigned_to_me(engine: Engine, session: Session, who, intake) -> None:
    claimed, _unclaimed = intake(), intake()
    engine.claim(session, task_id=claimed.id, actor=who(BEN))
    assert ids(engine, session, who(BEN), "mine") == [claimed.id]


def test_mine__lists_tasks_delegated_to_me(engine: Engine, session: Session, who, intake) -> None:
    task = intake()
    engine.claim(session, task_id=task.id, actor=who(BEN))
    engine.delegate(session, task_id=task.id, to=DEV, actor=who(BEN))
    assert ids(engine, session, who(DEV), "mine") == [task.id]


def test_mine__lists_tasks_of_someone_i_substitute_for_today(
    engine: Engine, session: Session, people: People, who, intake
) -> None:
    task = intake()
    engine.claim(session, task_id=task.id, actor=who(BEN))
    away(people, BEN, CLEO)
    assert ids(engine, session, who(CLEO), "mine") == [task.id]


def test_mine__not_once_the_absence_is_over(
    engine: Engine, session: Session, people: People, clock: FixedClock, who, intake
) -> None:
    task = intake()
    engine.claim(session, task_id=task.id, actor=who(BEN))
    away(people, BEN, CLEO)
    clock.advance(timedelta(days=7))
    assert ids(engine, session, who(CLEO), "mine") == []


def test_mine__a_task_both_delegated_to_me_and_of_my_absent_colleague_is_listed_once(
    engine: Engine, session: Session, people: People, who, intake
) -> None:
    task = intake()
    engine.claim(session, task_id=task.id, actor=who(BEN))
    engine.delegate(session, task_id=task.id, to=DEV, actor=who(BEN))
    away(people, BEN, DEV)
    assert ids(engine, session, who(DEV), "mine") == [task.id]


def test_queues__lists_open_tasks_of_my_queues_claimed_or_not(
    engine: Engine, session: Session, who, intake
) -> None:
    claimed, unclaimed = intake(), intake()
    engine.claim(session, task_id=claimed.id, actor=who(BEN))
    assert set(ids(engine, session, who(DEV), "queues")) == {claimed.id, unclaimed.id}


def test_queues__not_tasks_of_other_queues(engine: Engine, session: Session, who, intake) -> None:
    intake()
    assert ids(engine, session, who(CLEO), "queues") == []


def test_queues__not_completed_tasks(engine: Engine, session: Session, who, intake) -> None:
    done, still_open = intake(), intake()
    engine.act(session, task_id=done.id, action="reject", actor=who(BEN))
    assert ids(engine, session, who(BEN), "queues") == [still_open.id]


def test_overdue__lists_nothing_before_the_due_date(
    engine: Engine, session: Session, who, intake
) -> None:
    intake()
    assert ids(engine, session, who(BEN), "overdue") == []


def test_overdue__lists_tasks_of_my_queues_past_their_due_date(
    engine: Engine, session: Session, clock: FixedClock, who, intake
) -> None:
    task = intake()
    clock.advance(timedelta(days=3))  # due Wednesday 09:00, now Thursday
    assert ids(engine, session, who(BEN), "overdue") == [task.id]


def test_overdue__lists_my_tasks_outside_my_queues(
    engine: Engine, session: Session, people: People, clock: FixedClock, who, intake
) -> None:
    task = intake()
    engine.claim(session, task_id=task.id, actor=who(BEN))
    # Cleo (legal) may be delegated Ben's task as his declared substitute next month
    people.set_substitute(
        user=BEN,
        substitute=CLEO,
        starts_on=date(2026, 4, 1),
        ends_on=date(2026, 4, 10),
        actor=SYSTEM,
        now=T0,
    )
    engine.delegate(session, task_id=task.id, to=CLEO, actor=who(BEN))
    clock.advance(timedelta(days=3))
    assert ids(engine, session, who(CLEO), "overdue") == [task.id]


def test_overdue__a_task_both_mine_and_in_my_queue_is_listed_once(
    engine: Engine, session: Session, clock: FixedClock, who, intake
) -> None:
    task = intake()
    engine.claim(session, task_id=task.id, actor=who(BEN))
    clock.advance(timedelta(days=3))
    assert ids(engine, session, who(BEN), "overdue") == [task.id]


def test_completed__lists_what_i_completed_most_recent_first(
    engine: Engine, session: Session, clock: FixedClock, who, intake
) -> None:
    first, second = intake(), intake()
    engine.act(session, task_id=first.id, action="reject", actor=who(BEN))
    clock.advance(timedelta(minutes=5))
    engine.act(session, task_id=second.id, action="reject", actor=who(BEN))
    assert ids(engine, session, who(BEN), "completed") == [second.id, first.id]


def test_completed__not_what_others_completed(
    engine: Engine, session: Session, who, intake
) -> None:
    task = intake()
    engine.act(session, task_id=task.id, action="reject", actor=who(DEV))
    assert ids(engine, session, who(BEN), "completed") == []


def test_engine_inbox__still_answers_simple_callers_with_a_list(
    engine: Engine, session: Session, who, intake
) -> None:
    task = intake()
    engine.act(session, task_id=task.id, action="reject", actor=who(BEN))
    listed = engine.inbox(session, actor=who(BEN), view="mine", status="completed")
    assert [t.id for t in listed] == [task.id]


def test_query__an_unknown_view_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(InvalidDataError, match="use mine, queues, overdue or completed"):
        InboxQuery("all")
