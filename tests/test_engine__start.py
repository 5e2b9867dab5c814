from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import staff
from workflow.engine import Engine
from workflow.errors import ConflictError, InvalidDataError, NotFoundError
from workflow.store.models import AuditRow, InstanceRow, OutboxRow

CLERK = staff("ana@planning.example.gov", "planning/intake")
INPUT = {"applicant": "Jo Doe", "address": "1 Main St"}


def test_start__opens_the_first_task_with_its_title_rendered(
    engine: Engine, session: Session, register
) -> None:
    key = register("engine/approval")
    view = engine.start(session, workflow=key, input=INPUT, actor=CLERK)
    assert view.state == "intake"
    assert view.status == "running"
    [task] = view.open_tasks()
    assert (task.queue, task.title) == ("planning/intake", "Check completeness: 1 Main St")


def test_start__sets_the_due_date_in_business_days(
    engine: Engine, session: Session, register
) -> None:
    view = engine.start(session, workflow=register("engine/approval"), input=INPUT, actor=CLERK)
    [task] = view.open_tasks()
    assert task.due_at is not None and task.due_at.isoformat() == "2026-03-04T09:00:00+00:00"


def test_start__records_one_audit_record(engine: Engine, session: Session, register) -> None:
    view = engine.start(session, workflow=register("engine/approval"), input=INPUT, actor=CLERK)
    [entry] = engine.instance(session, view.id).history
    assert (entry.action, entry.actor, entry.actor_idp) == (
        "instance.started",
        CLERK.id,
        "test-idp",
    )
    assert entry.state_after == "intake"


def test_start__invalid_input_is_refused_and_stores_nothing(
    engine: Engine, session: Session, register
) -> None:
    key = register("engine/approval")
    with pytest.raises(InvalidDataError) as caught:
        engine.start(session, workflow=key, input={"address": 7}, actor=CLERK)
    paths = {e.path for e in caught.value.errors}
    assert "/address" in paths and "/" in paths  # wrong type, and 'applicant' missing
    assert session.scalar(select(func.count()).select_from(InstanceRow)) == 0
    assert (
        session.scalar(
            select(func.count()).select_from(AuditRow).where(AuditRow.instance_id.is_not(None))
        )
        == 0
    )


def test_start__unknown_workflow_is_not_found(engine: Engine, session: Session) -> None:
    with pytest.raises(NotFoundError, match="no-such-workflow"):
        engine.start(session, workflow="no-such-workflow", input={}, actor=CLERK)


def test_start__a_second_start_with_the_same_business_key_conflicts(
    engine: Engine, session: Session, register
) -> None:
    key = register("engine/approval")
    first = engine.start(session, workflow=key, input=INPUT, actor=CLERK, business_key="APP-1")
    with pytest.raises(ConflictError) as caught:
        engine.start(session, workflow=key, input=INPUT, actor=CLERK, business_key="APP-1")
    assert caught.value.context["instance"] == str(first.id)


def test_start__writes_task_created_events_to_the_outbox(
    engine: Engine, session: Session, register
) -> None:
    view = engine.start(session, workflow=register("engine/approval"), input=INPUT, actor=CLERK)
    [row] = session.scalars(select(OutboxRow).where(OutboxRow.instance_id == view.id)).all()
    types = [e["type"] for e in row.events]
    assert types == ["instance.started", "task.created"]
    assert row.events[1]["task"]["queue"] == "planning/intake"


@pytest.mark.parametrize(
    ("data", "where"),
    [({"address": "1 Main\x00St"}, "/address"), ({"notes": ["ok", "a\x00"]}, "/notes/1")],
)
def test_start__a_nul_character_in_the_input_is_refused_with_its_place(
    engine: Engine, session: Session, register, data: dict, where: str
) -> None:
    with pytest.raises(InvalidDataError) as refused:
        engine.start(
            session,
            workflow=register("engine/approval"),
            input={"applicant": "Jo", "address": "1 Main St", **data},
            actor=CLERK,
        )
    assert [e.path for e in refused.value.errors] == [where]
    assert "NUL" in refused.value.message
