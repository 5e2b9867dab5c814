"""A case-level deadline (``sla``) whose clock stops while waiting on someone outside."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import T0, staff
from workflow.engine import Engine
from workflow.store.models import InstanceRow, JobRow
from workflow.views import InstanceView

CLERK = staff("tom@records.example.gov", "records/officers")
PORTAL = staff("portal@records.example.gov")


def _jobs(session: Session, view: InstanceView, kind: str) -> list[tuple[str, datetime]]:
    rows = session.scalars(
        select(JobRow).where(JobRow.instance_id == view.id, JobRow.kind == kind).order_by(JobRow.id)
    )
    return [(j.status, j.due_at) for j in rows]


def _row(session: Session, view: InstanceView) -> InstanceRow:
    row = session.get(InstanceRow, view.id)
    assert row is not None
    return row


@pytest.fixture
def case(engine: Engine, session: Session, register) -> InstanceView:
    return engine.start(session, workflow=register("engine/case-sla"), input={}, actor=CLERK)


def test_sla__the_deadline_is_set_at_start(session: Session, case: InstanceView) -> None:
    due = T0 + timedelta(days=7)  # Monday + 5 business days = next Monday
    assert _row(session, case).sla_due_at == due
    assert _jobs(session, case, "instance.sla") == [("pending", due)]


def test_sla__waiting_on_the_requester_stops_the_clock(
    engine: Engine, session: Session, case: InstanceView
) -> None:
    engine.act(session, task_id=case.open_tasks()[0].id, action="clarify", actor=CLERK)
    row = _row(session, case)
    assert row.sla_paused_at == T0
    assert _jobs(session, case, "instance.sla") == [("cancelled", T0 + timedelta(days=7))]


def test_sla__the_deadline_moves_by_the_business_days_paused(
    engine: Engine, session: Session, case: InstanceView, clock
) -> None:
    engine.act(session, task_id=case.open_tasks()[0].id, action="clarify", actor=CLERK)
    clock.advance(timedelta(days=7))  # a whole week waiting: 5 business days
    engine.signal(session, instance_id=case.id, event="requester.clarified", actor=PORTAL)
    row = _row(session, case)
    moved = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # 9 March + 5 business days
    assert (row.sla_due_at, row.sla_paused_at) == (moved, None)
    assert _jobs(session, case, "instance.sla")[-1] == ("pending", moved)


def test_sla__an_overdue_case_is_flagged_and_audited(
    engine: Engine, session: Session, case: InstanceView, clock
) -> None:
    clock.advance(timedelta(days=7))
    assert engine.case_overdue(session, instance_id=case.id) is True
    assert _row(session, case).sla_overdue is True
    assert engine.instance(session, case.id).history[-1].action == "instance.overdue"


def test_sla__no_overdue_while_paused(
    engine: Engine, session: Session, case: InstanceView, clock
) -> None:
    engine.act(session, task_id=case.open_tasks()[0].id, action="clarify", actor=CLERK)
    clock.advance(timedelta(days=30))
    assert engine.case_overdue(session, instance_id=case.id) is False


def test_sla__no_overdue_before_the_moved_deadline(
    engine: Engine, session: Session, case: InstanceView, clock
) -> None:
    engine.act(session, task_id=case.open_tasks()[0].id, action="clarify", actor=CLERK)
    clock.advance(timedelta(days=7))
    engine.signal(session, instance_id=case.id, event="requester.clarified", actor=PORTAL)
    clock.advance(timedelta(days=1))  # the first deadline has passed, the moved one not
    assert engine.case_overdue(session, instance_id=case.id) is False


def test_sla__finishing_cancels_the_deadline(
    engine: Engine, session: Session, case: InstanceView
) -> None:
    engine.act(session, task_id=case.open_tasks()[0].id, action="answer", actor=CLERK)
    assert [status for status, _ in _jobs(session, case, "instance.sla")] == ["cancelled"]
    assert [status for status, _ in _jobs(session, case, "instance.sla_remind")] == ["cancelled"]


def test_act__cancels_the_completed_tasks_timers(
    engine: Engine, session: Session, register
) -> None:
    view = engine.start(
        session,
        workflow=register("engine/approval"),
        input={"applicant": "A", "address": "B"},
        actor=staff("ana@planning.example.gov", "planning/intake"),
    )
    task = view.open_tasks()[0]
    engine.act(
        session,
        task_id=task.id,
        action="reject",
        actor=staff("ana@planning.example.gov", "planning/intake"),
    )
    statuses = session.scalars(select(JobRow.status).where(JobRow.task_id == task.id)).all()
    assert statuses == ["cancelled"]


def test_run_timer__dispatches_the_case_deadline(
    engine: Engine, session: Session, case: InstanceView, clock
) -> None:
    clock.advance(timedelta(days=7))
    fired = engine.run_timer(
        session, kind="instance.sla", instance_id=case.id, task_id=None, payload={"state": "triage"}
    )
    assert fired is True and _row(session, case).sla_overdue is True


def test_sla__the_reminder_is_scheduled_again_after_a_pause(
    engine: Engine, session: Session, clock, register
) -> None:
    """The shipped foi-request: a case that asked for clarification still gets its
    reminder, moved by the business days the clock stood still."""
    requester = {"requester": "R. Lee", "request": "All permits issued in 2025"}
    view = engine.start(session, workflow=register("foi-request"), input=requester, actor=CLERK)
    first = _jobs(session, view, "instance.sla_remind")[0][1]
    engine.act(session, task_id=view.open_tasks()[0].id, action="clarify", actor=CLERK)
    clock.advance(timedelta(days=7))  # a whole week waiting: 5 business days
    engine.signal(session, instance_id=view.id, event="requester.clarified", actor=PORTAL)

    reminders = _jobs(session, view, "instance.sla_remind")
    assert reminders[-1] == ("pending", first + timedelta(days=7))
    clock.set(reminders[-1][1])
    fired = engine.run_timer(
        session, kind="instance.sla_remind", instance_id=view.id, task_id=None, payload={}
    )
    assert fired is True
    assert engine.instance(session, view.id).history[-1].action == "instance.reminded"
