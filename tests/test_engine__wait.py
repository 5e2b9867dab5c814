from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import T0, staff
from workflow.engine import Engine
from workflow.errors import ConflictError
from workflow.store.models import JobRow
from workflow.views import InstanceView

CLERK = staff("ana@planning.example.gov", "planning/intake")
PORTAL = staff("portal@integrations.example.gov")


@pytest.fixture
def waiting(engine: Engine, session: Session, register) -> InstanceView:
    view = engine.start(
        session, workflow=register("engine/wait"), input={"applicant": "Jo"}, actor=CLERK
    )
    return engine.act(session, task_id=view.open_tasks()[0].id, action="request_info", actor=CLERK)


def test_wait__schedules_its_timeout(session: Session, waiting: InstanceView) -> None:
    [job] = session.scalars(
        select(JobRow).where(JobRow.instance_id == waiting.id, JobRow.kind == "wait.timeout")
    ).all()
    assert job.due_at == T0 + timedelta(days=30)
    assert job.payload == {"state": "awaiting_applicant"}


def test_signal__moves_on_and_stores_the_payload(
    engine: Engine, session: Session, waiting: InstanceView
) -> None:
    view = engine.signal(
        session,
        instance_id=waiting.id,
        event="applicant.responded",
        actor=PORTAL,
        data={"files": 2},
    )
    assert view.state == "review"
    assert view.data["awaiting_applicant"] == {"files": 2}
    assert view.open_tasks()[0].title == "Review documents from Jo"


def test_signal__an_event_the_state_does_not_wait_for_conflicts(
    engine: Engine, session: Session, waiting: InstanceView
) -> None:
    with pytest.raises(ConflictError, match=r"waits for: applicant.responded, applicant.withdrew"):
        engine.signal(session, instance_id=waiting.id, event="applicant.paid", actor=PORTAL)
    assert engine.instance(session, waiting.id).state == "awaiting_applicant"


def test_signal__to_an_instance_not_waiting_conflicts(
    engine: Engine, session: Session, register
) -> None:
    view = engine.start(session, workflow=register("engine/wait"), input={}, actor=CLERK)
    with pytest.raises(ConflictError, match="not waiting"):
        engine.signal(session, instance_id=view.id, event="applicant.responded", actor=PORTAL)


def test_timeout__fires_when_still_waiting(
    engine: Engine, session: Session, waiting: InstanceView
) -> None:
    assert engine.timeout(session, instance_id=waiting.id, state="awaiting_applicant") is True
    view = engine.instance(session, waiting.id)
    assert (view.state, view.status) == ("withdrawn", "completed")
    assert view.history[-1].actor == "system"


def test_timeout__does_nothing_after_the_instance_moved_on(
    engine: Engine, session: Session, waiting: InstanceView
) -> None:
    engine.signal(session, instance_id=waiting.id, event="applicant.responded", actor=PORTAL)
    assert engine.timeout(session, instance_id=waiting.id, state="awaiting_applicant") is False
    assert engine.instance(session, waiting.id).state == "review"


def test_cancel__cancels_open_tasks_and_refuses_further_signals(
    engine: Engine, session: Session, register
) -> None:
    view = engine.start(session, workflow=register("engine/wait"), input={}, actor=CLERK)
    view = engine.cancel(session, instance_id=view.id, actor=CLERK, reason="duplicate")
    assert view.status == "cancelled"
    assert [t.status for t in view.tasks] == ["cancelled"]
    with pytest.raises(ConflictError, match="cancelled"):
        engine.signal(session, instance_id=view.id, event="applicant.responded", actor=PORTAL)
