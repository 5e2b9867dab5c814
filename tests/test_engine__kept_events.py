"""A signal the definition keeps (``events: {fee.paid: {keep: 30 days}}``) that arrives
before the instance waits for it is stored and delivered when the instance gets there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import staff
from workflow.clock import FixedClock
from workflow.engine import Engine
from workflow.errors import ConflictError
from workflow.store.models import KeptEventRow
from workflow.views import InstanceView

CLERK = staff("ana@planning.example.gov", "planning/intake")
PORTAL = staff("portal@integrations.example.gov")
INPUT = {"applicant": "Jo", "address": "1 Main St"}


@pytest.fixture
def started(engine: Engine, session: Session, register: Callable[[str], str]) -> InstanceView:
    workflow = register("webhooks/portal-permit")
    return engine.start(session, workflow=workflow, input=INPUT, actor=CLERK)


def accept(engine: Engine, session: Session, view: InstanceView) -> InstanceView:
    task = engine.instance(session, view.id).open_tasks()[0]
    return engine.act(session, task_id=task.id, action="accept", actor=CLERK)


def test_kept_events__an_early_signal_is_kept_not_refused(
    engine: Engine, session: Session, started: InstanceView
) -> None:
    view = engine.signal(
        session, instance_id=started.id, event="fee.paid", actor=PORTAL, data={"amount": 90}
    )
    assert (view.kept, view.state) == (True, "intake")
    assert engine.instance(session, started.id).history[-1].action == "event.kept"


def test_kept_events__delivered_when_the_instance_reaches_the_wait(
    engine: Engine, session: Session, started: InstanceView
) -> None:
    engine.signal(
        session, instance_id=started.id, event="fee.paid", actor=PORTAL, data={"amount": 90}
    )
    view = accept(engine, session, started)
    assert view.state == "decide"
    assert view.data["awaiting_fee"] == {"amount": 90}
    last = engine.instance(session, started.id).history[-1]
    assert (last.action, last.actor, last.details["event"]) == (
        "instance.signalled",
        PORTAL.id,
        "fee.paid",
    )
    assert session.scalar(select(func.count()).select_from(KeptEventRow)) == 0


def test_kept_events__an_expired_event_is_not_delivered(
    engine: Engine, session: Session, started: InstanceView, clock: FixedClock
) -> None:
    engine.signal(session, instance_id=started.id, event="fee.paid", actor=PORTAL)
    clock.advance(timedelta(days=31))
    assert accept(engine, session, started).state == "awaiting_fee"


def test_kept_events__an_event_not_declared_kept_still_conflicts(
    engine: Engine, session: Session, started: InstanceView
) -> None:
    with pytest.raises(ConflictError, match=r"not waiting for 'fee\.refunded'"):
        engine.signal(session, instance_id=started.id, event="fee.refunded", actor=PORTAL)
