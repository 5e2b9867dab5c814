"""Bulk actions commit task by task, so these tests use real commits (``committed``)."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select

from tests.conftest import DATA, T0, read, staff
from workflow.actors import SYSTEM
from workflow.engine import Engine
from workflow.engine.bulk import BulkResult, bulk
from workflow.errors import InvalidDataError
from workflow.people.directory import load_directory
from workflow.people.registry import People
from workflow.store.database import Database
from workflow.store.models import AuditRow, InstanceRow, TaskRow

CLERK = staff("ana@planning.example.gov", "planning/intake")
OTHER = staff("bo@planning.example.gov", "planning/intake")
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


def states(db: Database) -> Counter[str]:
    with db.transaction() as session:
        return Counter(session.scalars(select(InstanceRow.state)))


def audit_records(db: Database, task_id: uuid.UUID) -> int:
    with db.transaction() as session:
        instance = select(TaskRow.instance_id).where(TaskRow.id == task_id).scalar_subquery()
        query = select(func.count()).select_from(AuditRow).where(AuditRow.instance_id == instance)
        return session.scalar(query) or 0


@pytest.fixture
def hundred(committed: Database, engine: Engine) -> tuple[list[uuid.UUID], uuid.UUID]:
    """100 intake tasks, one of them already completed (rejected) by someone else."""
    tasks = start(committed, engine, 100)
    done = tasks[37]
    with committed.transaction() as session:
        engine.act(session, task_id=done, action="reject", actor=OTHER)
    return tasks, done


@pytest.fixture
def results(
    committed: Database, engine: Engine, hundred: tuple[list[uuid.UUID], uuid.UUID]
) -> list[BulkResult]:
    tasks, _done = hundred
    return bulk(
        committed,
        engine,
        actor=CLERK,
        operation="act",
        task_ids=tasks,
        action="accept",
        data={"notes": "complete"},
    )


def test_bulk_act__the_valid_tasks_all_succeed(results: list[BulkResult]) -> None:
    assert Counter(r.ok for r in results) == {True: 99, False: 1}


def test_bulk_act__each_valid_task_moves_its_instance_on(
    committed: Database, results: list[BulkResult]
) -> None:
    assert states(committed) == {"reviews": 99, "rejected": 1}
    assert {r.instance_state for r in results if r.ok} == {"reviews"}


def test_bulk_act__the_completed_task_is_reported_with_its_error(
    results: list[BulkResult], hundred: tuple[list[uuid.UUID], uuid.UUID]
) -> None:
    [failed] = [r for r in results if not r.ok]
    assert (failed.task_id, failed.instance_state) == (hundred[1], "rejected")
    assert failed.error == {
        "type": "ConflictError",
        "message": f"this task is already completed by {OTHER.id}",
    }


def test_bulk_act__the_completed_task_changes_nothing(
    committed: Database, results: list[BulkResult], hundred: tuple[list[uuid.UUID], uuid.UUID]
) -> None:
    assert audit_records(committed, hundred[1]) == 2  # started, rejected: nothing from bulk


def test_bulk_act__one_audit_record_per_acted_task(
    committed: Database, results: list[BulkResult]
) -> None:
    counts = Counter(audit_records(committed, r.task_id) for r in results if r.ok)
    assert counts == {2: 99}  # started, then the bulk act


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
