"""Input, form and event data the engine could not copy, hash or store alike on both
databases are refused at the door with ``InvalidDataError``, and the case can still
move afterwards (``workflow.limits``)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.conftest import staff
from workflow.engine import Engine
from workflow.errors import InvalidDataError
from workflow.limits import MAX_DATA_BYTES, MAX_DATA_DEPTH
from workflow.views import InstanceView

CLERK = staff("clerk@city.example.gov", "planning/intake")


def nested(levels: int) -> dict[str, Any]:
    """An object ``levels`` deep (built without recursion, so any depth works)."""
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


BAD_VALUES = {
    "nested-600-levels": nested(600),
    "nested-990-levels": nested(990),
    "nested-100000-levels": nested(100_000),
    "nan": {"x": float("nan")},
    "infinity": {"x": [float("inf")]},
    "1e400": {"x": float("1e400")},
    "lone-surrogate": {"name": "J\ud800o"},
    "lone-surrogate-key": {"J\udfffo": 1},
    "5000-digit-integer": {"n": 10**4999},
    "nul": {"x": "a\x00b"},
    "too-big": {"x": "y" * (MAX_DATA_BYTES + 1)},
    "not-json": {"x": {1, 2}},
}


@pytest.fixture
def case(engine: Engine, session: Session, register) -> InstanceView:
    return engine.start(
        session, workflow=register("engine/wait"), input={"applicant": "Jo"}, actor=CLERK
    )


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_data_limits__bad_input_is_refused_and_starts_nothing(
    engine: Engine, session: Session, register, value: dict[str, Any]
) -> None:
    workflow = register("engine/wait")
    with pytest.raises(InvalidDataError, match=r"^input is invalid: /"):
        engine.start(session, workflow=workflow, input=value, actor=CLERK)
    assert engine.inbox(session, actor=CLERK) == []


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_data_limits__bad_form_data_is_refused_and_the_task_can_still_be_done(
    engine: Engine, session: Session, case: InstanceView, value: dict[str, Any]
) -> None:
    task = case.open_tasks()[0]
    with pytest.raises(InvalidDataError, match=r"^form data is invalid: /"):
        engine.act(session, task_id=task.id, action="request_info", actor=CLERK, data=value)
    view = engine.act(session, task_id=task.id, action="request_info", actor=CLERK)
    assert view.state == "awaiting_applicant"


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_data_limits__a_bad_event_payload_is_refused_and_the_event_can_come_again(
    engine: Engine, session: Session, case: InstanceView, value: dict[str, Any]
) -> None:
    engine.act(session, task_id=case.open_tasks()[0].id, action="request_info", actor=CLERK)
    with pytest.raises(InvalidDataError, match=r"^event data is invalid: /"):
        engine.signal(
            session, instance_id=case.id, event="applicant.responded", actor=CLERK, data=value
        )
    view = engine.signal(session, instance_id=case.id, event="applicant.responded", actor=CLERK)
    assert view.state == "review"


def test_data_limits__the_refusal_names_the_place_by_json_pointer(
    engine: Engine, session: Session, case: InstanceView
) -> None:
    with pytest.raises(InvalidDataError) as refused:
        engine.act(
            session,
            task_id=case.open_tasks()[0].id,
            action="request_info",
            actor=CLERK,
            data={"docs": [{"pages": 3}, {"pages": float("nan")}]},
        )
    assert [(e.path, "finite" in e.message) for e in refused.value.errors] == [
        ("/docs/1/pages", True)
    ]


def test_data_limits__data_at_the_depth_limit_is_kept_and_later_actions_still_work(
    engine: Engine, session: Session, case: InstanceView
) -> None:
    deepest = nested(MAX_DATA_DEPTH)
    engine.act(
        session,
        task_id=case.open_tasks()[0].id,
        action="request_info",
        actor=CLERK,
        data=deepest,
    )
    engine.signal(session, instance_id=case.id, event="applicant.responded", actor=CLERK)
    review = engine.instance(session, case.id).open_tasks()[0]
    view = engine.act(session, task_id=review.id, action="done", actor=CLERK)
    assert (view.status, view.data["ask"]) == ("completed", deepest)
