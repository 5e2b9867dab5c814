from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.conftest import staff
from workflow.engine import Engine
from workflow.store.audit_verify import verify_audit
from workflow.store.models import AuditRow
from workflow.views import InstanceView

CLERK = staff("ana@planning.example.gov", "planning/intake")
FIRE = staff("fi@fire.example.gov", "fire/inspectors")


@pytest.fixture
def trail(engine: Engine, session: Session, register) -> InstanceView:
    view = engine.start(
        session,
        workflow=register("engine/approval"),
        input={"applicant": "Jo", "address": "1 Main St"},
        actor=CLERK,
    )
    view = engine.act(
        session, task_id=view.open_tasks()[0].id, action="accept", actor=CLERK, data={"notes": "a"}
    )
    [fire] = [t for t in view.open_tasks() if t.branch == "fire"]
    engine.act(session, task_id=fire.id, action="approve", actor=FIRE)
    session.flush()
    return view


def _row(session: Session, view: InstanceView, seq: int) -> AuditRow:
    return session.scalars(
        select(AuditRow).where(AuditRow.instance_id == view.id, AuditRow.seq == seq)
    ).one()


def test_verify__an_untouched_trail_is_intact(session: Session, trail: InstanceView) -> None:
    checked, findings = verify_audit(session)
    assert findings == []
    assert checked >= 4  # 3 instance records + the definition's


def test_verify__names_an_edited_record(session: Session, trail: InstanceView) -> None:
    row = _row(session, trail, 2)
    session.execute(
        update(AuditRow).where(AuditRow.id == row.id).values(actor="mallory@example.gov")
    )
    _, findings = verify_audit(session)
    assert [(f.seq, "edited" in f.problem) for f in findings] == [(2, True)]


def test_verify__names_a_deleted_record(session: Session, trail: InstanceView) -> None:
    session.delete(_row(session, trail, 2))
    session.flush()
    _, findings = verify_audit(session)
    assert findings and all(f.stream == f"instance:{trail.id}" for f in findings)
    assert findings[0].seq == 3 and "deleted or reordered" in findings[0].problem


def test_verify__notices_the_last_record_deleted(session: Session, trail: InstanceView) -> None:
    session.delete(_row(session, trail, 3))
    session.flush()
    _, findings = verify_audit(session)
    assert [f.problem for f in findings] == [
        "the stream should end at record #3 but ends at #2: records at the end were deleted"
    ]


def test_verify__names_reordered_records(session: Session, trail: InstanceView) -> None:
    first, second = _row(session, trail, 2), _row(session, trail, 3)
    first_id, second_id = first.id, second.id
    session.execute(update(AuditRow).where(AuditRow.id == first_id).values(seq=-1))
    session.execute(update(AuditRow).where(AuditRow.id == second_id).values(seq=2))
    session.execute(update(AuditRow).where(AuditRow.id == first_id).values(seq=3))
    _, findings = verify_audit(session)
    assert {f.seq for f in findings} >= {2, 3}


def test_audit__records_the_form_data_and_states(session: Session, trail: InstanceView) -> None:
    row = _row(session, trail, 2)
    assert (row.action, row.state_before, row.state_after) == (
        "task.completed",
        "intake",
        "reviews",
    )
    assert row.details["form"] == {"notes": "a"}
    assert row.actor_idp == "test-idp"
