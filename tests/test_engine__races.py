"""Real parallelism: threads with their own connections and committed transactions.

Runs on SQLite (writers queue on the database lock) and on PostgreSQL (the instance
row lock orders them); either way exactly one of two competing actions wins.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from tests.conftest import read, staff
from workflow.engine import Engine
from workflow.errors import ConflictError
from workflow.store.database import Database
from workflow.store.models import AuditRow
from workflow.views import InstanceView

CLERK = staff("ana@planning.example.gov", "planning/intake")
CLERK_2 = staff("bo@planning.example.gov", "planning/intake")
FIRE = staff("fi@fire.example.gov", "fire/inspectors")
ENGINEER = staff("en@planning.example.gov", "planning/engineers")


def _race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment in threads; their results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # the test inspects what each thread got
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _start(engine: Engine, db: Database) -> InstanceView:
    with db.transaction() as session:
        engine.register(session, read("engine/approval"))
        return engine.start(
            session,
            workflow="approval",
            input={"applicant": "Jo", "address": "1 Main St"},
            actor=CLERK,
        )


def _act(engine: Engine, db: Database, task_id: uuid.UUID, action: str, actor) -> InstanceView:
    with db.transaction() as session:
        return engine.act(session, task_id=task_id, action=action, actor=actor)


def _completions(db: Database, instance: uuid.UUID) -> int:
    with db.transaction() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(AuditRow)
                .where(AuditRow.instance_id == instance, AuditRow.action == "task.completed")
            )
            or 0
        )


def test_two_people_acting_on_one_task__exactly_one_wins(
    engine: Engine, committed: Database
) -> None:
    for _ in range(5):
        view = _start(engine, committed)
        task = view.open_tasks()[0].id
        results = _race(
            lambda t=task: _act(engine, committed, t, "accept", CLERK),
            lambda t=task: _act(engine, committed, t, "reject", CLERK_2),
        )
        winners = [r for r in results if isinstance(r, InstanceView)]
        losers = [r for r in results if isinstance(r, ConflictError)]
        assert (len(winners), len(losers)) == (1, 1), results
        assert _completions(committed, view.id) == 1


def test_two_people_claiming_one_task__exactly_one_wins(
    engine: Engine, committed: Database
) -> None:
    view = _start(engine, committed)
    task = view.open_tasks()[0].id

    def claim(actor) -> Any:
        with committed.transaction() as session:
            return engine.claim(session, task_id=task, actor=actor)

    results = _race(lambda: claim(CLERK), lambda: claim(CLERK_2))
    assert sorted(type(r).__name__ for r in results) == ["ConflictError", "TaskView"]


def test_sibling_branches_completed_at_once__both_count_and_the_join_fires_once(
    engine: Engine, committed: Database
) -> None:
    view = _start(engine, committed)
    view = _act(engine, committed, view.open_tasks()[0].id, "accept", CLERK)
    fire, structural = sorted(view.open_tasks(), key=lambda t: t.branch or "")
    results = _race(
        lambda: _act(engine, committed, fire.id, "approve", FIRE),
        lambda: _act(engine, committed, structural.id, "approve", ENGINEER),
    )
    assert all(isinstance(r, InstanceView) for r in results), results
    with committed.transaction() as session:
        final = engine.instance(session, view.id)
    assert final.state == "signoff"
    assert [t.state for t in final.open_tasks()] == ["signoff"]
