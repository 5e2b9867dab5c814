"""Actions kept during a step-up: taken once, only by the session that kept them and
for their task, forgotten after ten minutes, and following the session to the new id
a step-up gives it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tests.conftest import T0
from workflow.actors import Assurance
from workflow.people.pending_actions import PendingAction, PendingActions
from workflow.people.registry import People
from workflow.people.sign_ins import SignIns

TASK = uuid.UUID("6f1c2b0e-0000-4000-8000-000000000001")
KEPT = PendingAction(
    task_id=TASK,
    task_version=3,
    action="sign",
    data={"conditions": "Standard", "fee_waived": True},
    shown={"conditions": "Standard", "fee_waived": True},
)


@pytest.fixture
def pending(session: Session) -> PendingActions:
    return PendingActions(session)


def test_a_kept_action_is_taken_once(pending: PendingActions) -> None:
    token = pending.keep("session-a", KEPT, now=T0)
    assert pending.take(token, session_id="session-a", task_id=TASK, now=T0) == KEPT
    assert pending.take(token, session_id="session-a", task_id=TASK, now=T0) is None


def test_another_session_cannot_take_it_and_leaves_it_to_its_own(
    pending: PendingActions,
) -> None:
    token = pending.keep("session-a", KEPT, now=T0)
    assert pending.take(token, session_id="session-b", task_id=TASK, now=T0) is None
    assert pending.take(token, session_id="session-a", task_id=TASK, now=T0) == KEPT


def test_it_is_bound_to_its_task(pending: PendingActions) -> None:
    token = pending.keep("session-a", KEPT, now=T0)
    assert pending.take(token, session_id="session-a", task_id=uuid.uuid4(), now=T0) is None


def test_it_expires_after_ten_minutes(pending: PendingActions) -> None:
    token = pending.keep("session-a", KEPT, now=T0)
    late = T0 + timedelta(minutes=10)
    assert pending.take(token, session_id="session-a", task_id=TASK, now=late) is None


def test_it_follows_the_session_through_a_step_up(session: Session) -> None:
    People(session).sign_in(
        issuer="https://idp.example",
        subject="a-1",
        email="ana@planning.example.gov",
        email_verified=True,
        name="Ana",
        idp="agency-a",
        queues=[],
        mfa=False,
        now=T0,
    )
    sign_ins = SignIns(session)
    old = sign_ins.open(
        email="ana@planning.example.gov",
        provider="agency-a",
        issuer="https://idp.example",
        subject="a-1",
        sid=None,
        assurance=Assurance(provider="agency-a", acr="aal1"),
        id_token="h.p.s",
        now=T0,
    )
    old_id = sign_ins.resume(old, now=T0, idle=timedelta(hours=1), absolute=timedelta(hours=8))
    assert old_id is not None
    token = PendingActions(session).keep(old_id.id, KEPT, now=T0)
    fresh = sign_ins.step_up(
        old, assurance=Assurance(provider="agency-a", acr="aal2"), id_token="h.p.s", now=T0
    )
    assert fresh is not None
    new = sign_ins.resume(fresh, now=T0, idle=timedelta(hours=1), absolute=timedelta(hours=8))
    assert new is not None
    taken = PendingActions(session).take(token, session_id=old_id.id, task_id=TASK, now=T0)
    assert taken is None
    assert PendingActions(session).take(token, session_id=new.id, task_id=TASK, now=T0) == KEPT
