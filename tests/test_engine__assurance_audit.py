"""The audit record of an action says how its actor proved who they are."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from tests.conftest import staff
from workflow.actors import Assurance
from workflow.engine import Engine

COUNSEL = staff("lc@legal.example.gov", "legal/counsel")
PROOF = Assurance(
    provider="agency-a", acr="urn:x:aal2", amr=("mfa", "otp"), auth_time=1_700_000_000
)


def test_an_mfa_action_records_provider_acr_and_amr(
    engine: Engine, session: Session, register
) -> None:
    view = engine.start(
        session, workflow=register("engine/decision"), input={"amount": 99999}, actor=COUNSEL
    )
    signed_in = replace(COUNSEL, mfa=True, assurance=PROOF)
    engine.act(session, task_id=view.open_tasks()[0].id, action="approve", actor=signed_in)
    record = engine.instance(session, view.id).history[-1]
    assert (record.action, record.details["assurance"]) == (
        "task.completed",
        {
            "provider": "agency-a",
            "acr": "urn:x:aal2",
            "amr": ["mfa", "otp"],
            "auth_time": 1_700_000_000,
        },
    )
