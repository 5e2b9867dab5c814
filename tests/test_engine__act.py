from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import staff
from workflow.engine import Engine
from workflow.errors import ConflictError, ForbiddenError, InvalidDataError
from workflow.store.models import AuditRow, OutboxRow
from workflow.views import InstanceView

CLERK = staff("ana@planning.example.gov", "planning/intake")
OTHER_CLERK = staff("bo@planning.example.gov", "planning/intake")
OUTSIDER = staff("cy@fire.example.gov", "fire/inspectors")
INPUT = {"applicant": "Jo Doe", "address": "1 Main St"}


@pytest.fixture
def started(engine: Engine, session: Session, register) -> InstanceView:
    return engine.start(session, workflow=register("engine/approval"), input=INPUT, actor=CLERK)


def _audit_count(session: Session, view: InstanceView) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(AuditRow).where(AuditRow.instance_id == view.id)
        )
        or 0
    )


def test_act__moves_to_the_target_and_opens_its_tasks(
    engine: Engine, session: Session, started: InstanceView
) -> None:
    [task] = started.open_tasks()
    view = engine.act(
        session, task_id=task.id, action="accept", actor=CLERK, data={"notes": "complete"}
    )
    assert view.state == "reviews"
    assert sorted((t.branch, t.queue) for t in view.open_tasks()) == [
        ("fire", "fire/inspectors"),
        ("structural", "planning/engineers"),
    ]


def test_act__stores_form_data_under_the_state_name(
    engine: Engine, session: Session, started: InstanceView
) -> None:
    [task] = started.open_tasks()
    view = engine.act(session, task_id=task.id, action="accept", actor=CLERK, data={"notes": "ok"})
    assert view.data["intake"] == {"notes": "ok"}


def test_act__records_who_completed_the_task(
    engine: Engine, session: Session, started: InstanceView
) -> None:
    [task] = started.open_tasks()
    view = engine.act(session, task_id=task.id, action="accept", actor=CLERK)
    [done] = [t for t in view.tasks if t.id == task.id]
    assert (done.status, done.outcome, done.completed_by) == ("completed", "accept", CLERK.id)


def test_act__an_unknown_action_is_refused_and_changes_nothing(
    engine: Engine, session: Session, started: InstanceView
) -> None:
    [task] = started.open_tasks()
    with pytest.raises(InvalidDataError, match="offers: accept, reject"):
        engine.act(session, task_id=task.id, action="approve", actor=CLERK)
    assert engine.instance(session, started.id).state == "intake"
    assert _audit_count(session, started) == 1


def test_act__invalid_form_data_lists_each_field(
    engine: Engine, session: Session, started: InstanceView
) -> None:
    [task] = started.open_tasks()
    with pytest.raises(InvalidDataError) as caught:
        engine.act(
            session, task_id=task.id, action="accept", actor=CLERK, data={"notes": 5, "extra": 1}
        )
    assert {e.path for e in caught.value.errors} == {"/notes", "/"}
    assert engine.instance(session, started.id).open_tasks()[0].id == task.id


def test_act__a_non_member_of_the_queue_is_forbidden(
    engine: Engine, session: Session, started: InstanceView
) -> None:
    [task] = started.open_tasks()
    with pytest.raises(ForbiddenError, match="not a member of queue 'planning/intake'"):
        engine.act(session, task_id=task.id, action="accept", actor=OUTSIDER)
    assert _audit_count(session, started) == 1


def test_act__a_completed_task_conflicts(
    engine: Engine, session: Session, started: InstanceView
) -> None:
    [task] = started.open_tasks()
    engine.act(session, task_id=task.id, action="accept", actor=CLERK)
    with pytest.raises(ConflictError, match=r"already completed by ana@planning\.example\.gov"):
        engine.act(session, task_id=task.id, action="reject", actor=OTHER_CLERK)
    assert _audit_count(session, started) == 2


def test_act__a_stale_expected_version_conflicts(
    engine: Engine, session: Session, started: InstanceView
) -> None:
    [task] = started.open_tasks()
    engine.claim(session, task_id=task.id, actor=CLERK)
    with pytest.raises(ConflictError, match="changed since you loaded it"):
        engine.act(
            session, task_id=task.id, action="accept", actor=CLERK, expected_version=task.version
        )


def test_act__a_task_claimed_by_someone_else_is_forbidden(
    engine: Engine, session: Session, started: InstanceView
) -> None:
    [task] = started.open_tasks()
    engine.claim(session, task_id=task.id, actor=CLERK)
    with pytest.raises(ForbiddenError, match=r"claimed by ana@planning\.example\.gov"):
        engine.act(session, task_id=task.id, action="accept", actor=OTHER_CLERK)


def test_claim__a_task_claimed_by_someone_else_conflicts(
    engine: Engine, session: Session, started: InstanceView
) -> None:
    [task] = started.open_tasks()
    engine.claim(session, task_id=task.id, actor=CLERK)
    with pytest.raises(ConflictError, match="already claimed"):
        engine.claim(session, task_id=task.id, actor=OTHER_CLERK)


def test_unclaim__returns_the_task_to_the_queue(
    engine: Engine, session: Session, started: InstanceView
) -> None:
    [task] = started.open_tasks()
    engine.claim(session, task_id=task.id, actor=CLERK)
    assert engine.unclaim(session, task_id=task.id, actor=CLERK).assignee is None


def test_inbox__shows_open_tasks_of_my_queues_and_mine(
    engine: Engine, session: Session, started: InstanceView
) -> None:
    [task] = started.open_tasks()
    assert [t.id for t in engine.inbox(session, actor=OTHER_CLERK, view="queues")] == [task.id]
    assert engine.inbox(session, actor=OUTSIDER, view="queues") == []
    engine.claim(session, task_id=task.id, actor=CLERK)
    assert [t.id for t in engine.inbox(session, actor=CLERK, view="mine")] == [task.id]
    assert engine.inbox(session, actor=OTHER_CLERK, view="mine") == []


def _completed_event(session: Session, view: InstanceView) -> dict:
    rows = session.scalars(
        select(OutboxRow).where(OutboxRow.instance_id == view.id).order_by(OutboxRow.id.desc())
    )
    return next(e for e in next(iter(rows)).events if e["type"] == "task.completed")


@pytest.mark.parametrize("step", ["intake (has a due date)", "review branch (no timers)"])
def test_act__the_completed_event_carries_the_tasks_stored_version(
    engine: Engine, session: Session, started: InstanceView, step: str
) -> None:
    """A client that keeps the event's version as ``expected_version`` must hold the
    version the database has, with or without timers on the task."""
    [task] = started.open_tasks()
    view = engine.act(session, task_id=task.id, action="accept", actor=CLERK)
    if step.startswith("review"):
        task = next(t for t in view.open_tasks() if t.branch == "structural")
        actor = staff("ed@planning.example.gov", "planning/engineers")
        view = engine.act(session, task_id=task.id, action="approve", actor=actor)
    [stored] = [t for t in view.tasks if t.id == task.id]
    event = _completed_event(session, view)
    assert event["task"]["id"] == str(task.id)
    assert event["task"]["version"] == stored.version
    assert event["task"]["status"] == "completed"
