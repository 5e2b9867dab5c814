from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.conftest import staff
from workflow.engine import Engine
from workflow.errors import ForbiddenError, InvalidDataError

APPROVER = staff("fa@finance.example.gov", "finance/approvers")
COUNSEL = staff("lc@legal.example.gov", "legal/counsel")
COUNSEL_MFA = staff("lc@legal.example.gov", "legal/counsel", mfa=True)


def test_decision__routes_on_input(engine: Engine, session: Session, register) -> None:
    key = register("engine/decision")
    big = engine.start(session, workflow=key, input={"amount": 30000}, actor=APPROVER)
    small = engine.start(session, workflow=key, input={"amount": 300}, actor=APPROVER)
    assert (big.state, small.state) == ("legal_review", "finance_review")


def test_decision__is_recorded_as_passed_through(
    engine: Engine, session: Session, register
) -> None:
    view = engine.start(
        session, workflow=register("engine/decision"), input={"amount": 1}, actor=APPROVER
    )
    assert engine.instance(session, view.id).history[0].details["entered"] == [
        "route",
        "finance_review",
    ]


@pytest.mark.parametrize(
    ("input", "form", "expected"),
    [
        ({"amount": 10}, {"budget_line": "OPS-17"}, "done"),
        ({"amount": 10}, {"budget_line": "EMERGENCY"}, "fast_track"),
        ({"amount": 10, "urgent": True}, {"budget_line": "OPS-17"}, "fast_track"),
    ],
)
def test_action_rules__first_matching_rule_wins(
    engine: Engine, session: Session, register, input, form, expected
) -> None:
    view = engine.start(session, workflow=register("engine/decision"), input=input, actor=APPROVER)
    view = engine.act(
        session, task_id=view.open_tasks()[0].id, action="approve", actor=APPROVER, data=form
    )
    assert view.state == expected


def test_form__required_fields_are_enforced(engine: Engine, session: Session, register) -> None:
    view = engine.start(
        session, workflow=register("engine/decision"), input={"amount": 10}, actor=APPROVER
    )
    with pytest.raises(InvalidDataError, match="budget_line"):
        engine.act(
            session, task_id=view.open_tasks()[0].id, action="approve", actor=APPROVER, data={}
        )


def test_assurance_mfa__refuses_a_session_without_mfa(
    engine: Engine, session: Session, register
) -> None:
    view = engine.start(
        session, workflow=register("engine/decision"), input={"amount": 99999}, actor=COUNSEL
    )
    with pytest.raises(ForbiddenError, match="multi-factor"):
        engine.act(session, task_id=view.open_tasks()[0].id, action="approve", actor=COUNSEL)


def test_assurance_mfa__accepts_a_session_with_mfa(
    engine: Engine, session: Session, register
) -> None:
    view = engine.start(
        session, workflow=register("engine/decision"), input={"amount": 99999}, actor=COUNSEL
    )
    view = engine.act(session, task_id=view.open_tasks()[0].id, action="approve", actor=COUNSEL_MFA)
    assert view.state == "done"
