from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import staff
from workflow.engine import Engine
from workflow.store.models import JobRow, OutboxRow
from workflow.views import InstanceView

CLERK = staff("ana@planning.example.gov", "planning/intake")
FIRE = staff("fi@fire.example.gov", "fire/inspectors")
ENGINEER = staff("en@planning.example.gov", "planning/engineers")
BOARD = staff("board@planning.example.gov", "planning/north", "planning/south", "planning/east")
ANALYST = staff("an@finance.example.gov", "finance/analysts")
AUDITOR = staff("au@audit.example.gov", "audit/reviewers")


def _branch(view: InstanceView, branch: str):
    [task] = [t for t in view.open_tasks() if t.branch == branch]
    return task


def _to_reviews(engine: Engine, session: Session, register) -> InstanceView:
    view = engine.start(
        session,
        workflow=register("engine/approval"),
        input={"applicant": "Jo", "address": "1 Main St"},
        actor=CLERK,
    )
    return engine.act(session, task_id=view.open_tasks()[0].id, action="accept", actor=CLERK)


def test_join_all__waits_for_every_branch(engine: Engine, session: Session, register) -> None:
    view = _to_reviews(engine, session, register)
    view = engine.act(session, task_id=_branch(view, "fire").id, action="approve", actor=FIRE)
    assert view.state == "reviews"
    assert [t.branch for t in view.open_tasks()] == ["structural"]


def test_join_all__outcomes_choose_the_next_state(
    engine: Engine, session: Session, register
) -> None:
    view = _to_reviews(engine, session, register)
    engine.act(session, task_id=_branch(view, "fire").id, action="approve", actor=FIRE)
    view = engine.act(
        session, task_id=_branch(view, "structural").id, action="approve", actor=ENGINEER
    )
    assert view.state == "signoff"


def test_join_all__one_rejection_rejects_and_emits(
    engine: Engine, session: Session, register
) -> None:
    view = _to_reviews(engine, session, register)
    engine.act(session, task_id=_branch(view, "fire").id, action="reject", actor=FIRE)
    view = engine.act(
        session, task_id=_branch(view, "structural").id, action="approve", actor=ENGINEER
    )
    assert (view.state, view.status) == ("rejected", "completed")
    last = session.scalars(
        select(OutboxRow).where(OutboxRow.instance_id == view.id).order_by(OutboxRow.id.desc())
    ).first()
    assert last is not None
    assert [e["type"] for e in last.events][-2:] == ["instance.completed", "permit.rejected"]


def test_join_all__branch_form_data_is_stored_per_branch(
    engine: Engine, session: Session, register
) -> None:
    view = _to_reviews(engine, session, register)
    view = engine.act(
        session, task_id=_branch(view, "fire").id, action="approve", actor=FIRE, data={"ok": True}
    )
    assert view.data["reviews"] == {"fire": {"ok": True}}


def test_join_any__first_answer_decides_and_cancels_the_rest(
    engine: Engine, session: Session, register
) -> None:
    view = engine.start(session, workflow=register("engine/join-any"), input={}, actor=ANALYST)
    view = engine.act(session, task_id=_branch(view, "audit").id, action="support", actor=AUDITOR)
    assert (view.state, view.status) == ("supported", "completed")
    statuses = {t.branch: t.status for t in view.tasks}
    assert statuses == {"audit": "completed", "finance": "cancelled"}


def test_join_at_least__decides_after_n_branches(
    engine: Engine, session: Session, register
) -> None:
    view = engine.start(session, workflow=register("engine/join-at-least"), input={}, actor=BOARD)
    view = engine.act(session, task_id=_branch(view, "north").id, action="yes_vote", actor=BOARD)
    assert view.state == "vote"
    view = engine.act(session, task_id=_branch(view, "east").id, action="yes_vote", actor=BOARD)
    assert view.state == "carried"
    assert {t.branch: t.status for t in view.tasks}["south"] == "cancelled"


def test_join_at_least__the_rules_see_missing_branches_as_null(
    engine: Engine, session: Session, register
) -> None:
    view = engine.start(session, workflow=register("engine/join-at-least"), input={}, actor=BOARD)
    engine.act(session, task_id=_branch(view, "north").id, action="yes_vote", actor=BOARD)
    view = engine.act(session, task_id=_branch(view, "south").id, action="no_vote", actor=BOARD)
    assert view.state == "lost"


def test_cancelled_branches_cancel_their_timers(engine: Engine, session: Session, register) -> None:
    view = engine.start(session, workflow=register("engine/join-any"), input={}, actor=ANALYST)
    finance = _branch(view, "finance")
    engine.act(session, task_id=_branch(view, "audit").id, action="oppose", actor=AUDITOR)
    pending = session.scalars(
        select(JobRow).where(JobRow.task_id == finance.id, JobRow.status == "pending")
    ).all()
    assert pending == []
