"""A signed webhook starts the workflow its trigger names, or signals the instance
with the payload's business key; a repeated message changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from integrations.inbound import Inbound
from tests.conftest import staff
from tests.webhooks import PORTAL_SECRET, SUBMITTED, fee_paid, signed
from workflow import Engine, NotFoundError, SystemClock
from workflow.store.models import InstanceRow, WebhookReceiptRow

CLERK = staff("ana@planning.example.gov", "planning/intake")


@pytest.fixture
def inbound(engine: Engine, register: Callable[[str], str]) -> Inbound:
    register("webhooks/portal-permit")
    secrets = {"permit-portal": (PORTAL_SECRET,)}
    return Inbound(engine, lambda source: secrets.get(source, ()), clock=SystemClock())


def receive(inbound: Inbound, session: Session, payload: Any, **options: Any) -> Any:
    headers, body = signed(payload, **options)
    return inbound.receive(session, source="permit-portal", headers=headers, body=body)


def test_inbound__starts_the_workflow_with_mapped_input(
    inbound: Inbound, session: Session, engine: Engine
) -> None:
    result = receive(inbound, session, SUBMITTED)
    assert (result.status, result.body["result"]) == (201, "started")
    view = engine.instance_by_business_key(session, "portal-permit", "A-1001")
    assert view is not None
    assert view.input == {"applicant": "Jo Doe", "address": "1 Main St", "floor_area_m2": 120}
    assert view.id.hex == result.body["instance_id"].replace("-", "")


def test_inbound__a_repeated_webhook_id_returns_the_first_response(
    inbound: Inbound, session: Session
) -> None:
    first = receive(inbound, session, SUBMITTED, message_id="msg_same")
    again = receive(inbound, session, SUBMITTED | {"application_id": "A-2"}, message_id="msg_same")
    assert (again.status, again.body, again.replayed) == (first.status, first.body, True)
    assert session.scalar(select(func.count()).select_from(InstanceRow)) == 1
    assert session.scalar(select(func.count()).select_from(WebhookReceiptRow)) == 1


def test_inbound__a_repeated_business_key_returns_the_existing_instance(
    inbound: Inbound, session: Session
) -> None:
    first = receive(inbound, session, SUBMITTED)
    again = receive(inbound, session, SUBMITTED)
    assert (again.status, again.body["result"]) == (200, "existing")
    assert again.body["instance_id"] == first.body["instance_id"]
    assert session.scalar(select(func.count()).select_from(InstanceRow)) == 1


def test_inbound__a_signal_trigger_moves_the_waiting_instance(
    inbound: Inbound, session: Session, engine: Engine
) -> None:
    receive(inbound, session, SUBMITTED)
    view = engine.instance_by_business_key(session, "portal-permit", "A-1001")
    assert view is not None
    task = engine.instance(session, view.id).open_tasks()[0]
    engine.act(session, task_id=task.id, action="accept", actor=CLERK)
    result = receive(inbound, session, fee_paid())
    assert (result.body["result"], result.body["state"]) == ("signalled", "decide")
    assert engine.instance(session, view.id).data["awaiting_fee"] == {
        "amount": 90,
        "reference": "PAY-7",
    }


def test_inbound__an_early_signal_is_kept_and_delivered_later(
    inbound: Inbound, session: Session, engine: Engine
) -> None:
    receive(inbound, session, SUBMITTED)
    result = receive(inbound, session, fee_paid())
    assert (result.body["result"], result.body["state"]) == ("kept", "intake")
    view = engine.instance_by_business_key(session, "portal-permit", "A-1001")
    assert view is not None
    task = engine.instance(session, view.id).open_tasks()[0]
    assert engine.act(session, task_id=task.id, action="accept", actor=CLERK).state == "decide"


def test_inbound__a_signal_for_an_unknown_business_key_is_not_found(
    inbound: Inbound, session: Session
) -> None:
    with pytest.raises(NotFoundError, match="business key 'A-404'"):
        receive(inbound, session, fee_paid("A-404"))
