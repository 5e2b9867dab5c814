"""One bulk act over a hundred tasks, one of them already completed by someone else.

The run commits task by task, so it needs real commits; it is made once per database
and every test here only reads what it left (none writes), then the rows are deleted.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from tests.conftest import T0, empty, read, staff
from workflow.clock import FixedClock
from workflow.engine import Engine
from workflow.engine.bulk import BulkResult, bulk
from workflow.store.database import Database
from workflow.store.models import AuditRow, InstanceRow, TaskRow

CLERK = staff("ana@planning.example.gov", "planning/intake")
OTHER = staff("bo@planning.example.gov", "planning/intake")
INPUT = {"applicant": "Jo Doe", "address": "1 Main St"}


@dataclass(frozen=True)
class Run:
    db: Database
    done: uuid.UUID  # the task someone else had already rejected
    results: list[BulkResult]


@pytest.fixture(scope="module")
def run(database: Database) -> Iterator[Run]:
    engine = Engine(clock=FixedClock(T0))
    try:
        with database.transaction() as session:
            engine.register(session, read("engine/approval"), path="approval.yaml")
            tasks = [
                engine.start(session, workflow="approval", input=INPUT, actor=CLERK)
                .open_tasks()[0]
                .id
                for _ in range(100)
            ]
        done = tasks[37]
        with database.transaction() as session:
            engine.act(session, task_id=done, action="reject", actor=OTHER)
        results = bulk(
            database,
            engine,
            actor=CLERK,
            operation="act",
            task_ids=tasks,
            action="accept",
            data={"notes": "complete"},
        )
        yield Run(database, done, results)
    finally:
        empty(database)


def states(db: Database) -> Counter[str]:
    with db.transaction() as session:
        return Counter(session.scalars(select(InstanceRow.state)))


def audit_records(db: Database, task_id: uuid.UUID) -> int:
    with db.transaction() as session:
        instance = select(TaskRow.instance_id).where(TaskRow.id == task_id).scalar_subquery()
        query = select(func.count()).select_from(AuditRow).where(AuditRow.instance_id == instance)
        return session.scalar(query) or 0


def test_bulk_act__the_valid_tasks_all_succeed(run: Run) -> None:
    assert Counter(r.ok for r in run.results) == {True: 99, False: 1}


def test_bulk_act__each_valid_task_moves_its_instance_on(run: Run) -> None:
    assert states(run.db) == {"reviews": 99, "rejected": 1}
    assert {r.instance_state for r in run.results if r.ok} == {"reviews"}


def test_bulk_act__the_completed_task_is_reported_with_its_error(run: Run) -> None:
    [failed] = [r for r in run.results if not r.ok]
    assert (failed.task_id, failed.instance_state) == (run.done, "rejected")
    assert failed.error == {
        "type": "ConflictError",
        "message": f"this task is already completed by {OTHER.id}",
    }


def test_bulk_act__the_completed_task_changes_nothing(run: Run) -> None:
    assert audit_records(run.db, run.done) == 2  # started, rejected: nothing from bulk


def test_bulk_act__one_audit_record_per_acted_task(run: Run) -> None:
    counts = Counter(audit_records(run.db, r.task_id) for r in run.results if r.ok)
    assert counts == {2: 99}  # started, then the bulk act
