"""Bulk actions commit task by task, so these tests use real commits (``committed``).
A bulk act over a hundred tasks is in tests/test_bulk__act_on_a_hundred_tasks.py."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from tests.conftest import DATA, T0, read, staff
from workflow.actors import SYSTEM
from workflow.engine import Engine
from workflow.engine.bulk import bulk
from workflow.errors import InvalidDataError
from workflow.people.directory import load_directory
from workflow.people.registry import People
from workflow.store.database import Database
from workflow.store.models import TaskRow

CLERK = staff("ana@planning.example.gov", "planning/intake")
INPUT = {"applicant": "Jo Doe", "address": "1 Main St"}


def start(db: Database, engine: Engine, count: int, workflow: str = "approval") -> list[uuid.UUID]:
    """``count`` cases committed; the id of each one's first task."""
    with db.transaction() as session:
        if workflow == "approval":
            engine.register(session, read("engine/approval"), path="approval.yaml")
            data = INPUT
        else:
            engine.register(session, read("engine/wait"), path="wait.yaml")
            data = {"applicant": "Jo"}
        return [
            engine.start(session, workflow=workflow, input=data, actor=CLERK).open_tasks()[0].id
            for _ in range(count)
        ]


def test_bulk_act__invalid_form_data_for_one_task_is_reported_and_the_others_commit(
    committed: Database, engine: Engine
) -> None:
    reviewer = staff(
        "rae@city.example.gov", "fire/inspectors", "planning/engineers", "finance/approvers"
    )
    [intake] = start(committed, engine, 1)
    with committed.transaction() as session:
        engine.register(session, read("engine/decision"), path="decision.yaml")
        case = engine.act(session, task_id=intake, action="accept", actor=CLERK)
        fire, structural = sorted(case.open_tasks(), key=lambda t: t.branch or "")
        purchase = engine.start(
            session, workflow="decision-routing", input={"amount": 10}, actor=reviewer
        )
    # the finance form requires a budget line; the review branches take any object
    results = bulk(
        committed,
        engine,
        actor=reviewer,
        operation="act",
        action="approve",
        data={},
        task_ids=[fire.id, purchase.open_tasks()[0].id, structural.id],
    )
    assert [(r.ok, r.error and r.error["type"], r.instance_state) for r in results] == [
        (True, None, "reviews"),
        (False, "InvalidDataError", "finance_review"),
        (True, None, "signoff"),
    ]


def test_bulk__a_task_listed_twice_is_handled_once(committed: Database, engine: Engine) -> None:
    [task] = start(committed, engine, 1)
    results = bulk(committed, engine, actor=CLERK, operation="claim", task_ids=[task, task])
    assert [(r.task_id, r.ok) for r in results] == [(task, True)]


def test_bulk__claim_takes_each_task(committed: Database, engine: Engine) -> None:
    tasks = start(committed, engine, 3)
    bulk(committed, engine, actor=CLERK, operation="claim", task_ids=tasks)
    with committed.transaction() as session:
        assignees = session.scalars(select(TaskRow.assignee).where(TaskRow.id.in_(tasks)))
        assert set(assignees) == {CLERK.id}


def test_bulk__assign_gives_each_task_to_the_assignee(committed: Database, engine: Engine) -> None:
    with committed.transaction() as session:
        people = People(session)
        people.import_directory(
            load_directory(DATA / "directory" / "small.yaml"), now=T0, actor=SYSTEM
        )
        lead = people.actor("ana.ortiz@planning.example.gov")
    tasks = start(committed, engine, 2)
    results = bulk(
        committed,
        engine,
        actor=lead,
        operation="assign",
        task_ids=tasks,
        assignee="ben.okafor@planning.example.gov",
    )
    assert [r.ok for r in results] == [True, True]


def test_bulk__more_than_500_tasks_are_refused(committed: Database, engine: Engine) -> None:
    many = [uuid.uuid4() for _ in range(501)]
    with pytest.raises(InvalidDataError, match="at most 500"):
        bulk(committed, engine, actor=CLERK, operation="claim", task_ids=many)


def test_bulk__an_unknown_operation_is_refused_with_the_valid_ones(
    committed: Database, engine: Engine
) -> None:
    with pytest.raises(InvalidDataError, match="use claim, assign or act"):
        bulk(committed, engine, actor=CLERK, operation="approve", task_ids=[])


def test_bulk__an_unknown_task_is_reported(committed: Database, engine: Engine) -> None:
    missing = uuid.uuid4()
    [result] = bulk(committed, engine, actor=CLERK, operation="claim", task_ids=[missing])
    assert (result.ok, result.error and result.error["type"], result.instance_state) == (
        False,
        "NotFoundError",
        None,
    )


def test_bulk__a_task_outside_the_viewers_departments_is_reported_as_not_found(
    committed: Database, engine: Engine
) -> None:
    outsider = staff("pat@parks.example.gov", "parks/rangers")
    [task] = start(committed, engine, 1)
    missing = uuid.uuid4()
    theirs, nowhere = bulk(
        committed,
        engine,
        actor=outsider,
        operation="claim",
        task_ids=[task, missing],
        viewer=outsider,
    )
    assert theirs.error == {"type": "NotFoundError", "message": f"no task {task}"}
    assert nowhere.error == {"type": "NotFoundError", "message": f"no task {missing}"}
    assert theirs.instance_state is None
    with committed.transaction() as session:
        row = session.get(TaskRow, task)
        assert row is not None and (row.status, row.assignee) == ("open", None)
