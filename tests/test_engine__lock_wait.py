"""An action that waited for the instance lock decides on the task as it is once the
lock is held: a timer or a claim that changed the still-open task meanwhile is not a
conflict. Real parallelism: threads with their own connections, real commits.

On PostgreSQL the action is seen waiting on the lock (``pg_stat_activity``) before
the first transaction commits; on SQLite writers queue on the database lock.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import read, staff
from workflow.engine import Engine
from workflow.store.database import Database
from workflow.views import InstanceView

CLERK = staff("ana@planning.example.gov", "planning/intake")


def _intake(engine: Engine, db: Database) -> uuid.UUID:
    with db.transaction() as session:
        engine.register(session, read("engine/approval"))
        view = engine.start(
            session,
            workflow="approval",
            input={"applicant": "Jo", "address": "1 Main St"},
            actor=CLERK,
        )
    return view.open_tasks()[0].id


def _wait_until_someone_waits_for_a_lock(db: Database) -> None:
    if db.dialect != "postgresql":
        time.sleep(0.3)  # SQLite: the second writer is queued on BEGIN IMMEDIATE
        return
    deadline = time.monotonic() + 20
    with db.engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
            watcher.rollback()
            if waiting:
                return
            time.sleep(0.01)
    raise AssertionError("the action never waited for the instance lock")


def _act_behind(
    engine: Engine, db: Database, task: uuid.UUID, first: Callable[[Session], Any]
) -> list[Any]:
    """Run ``first`` in a transaction that holds the instance lock until the action on
    ``task`` is queued behind it; what the action returned (or raised)."""
    locked = threading.Event()
    outcome: list[Any] = []

    def hold() -> None:
        with db.transaction() as session:
            first(session)
            locked.set()
            _wait_until_someone_waits_for_a_lock(db)

    def act() -> None:
        locked.wait(timeout=20)
        try:
            with db.transaction() as session:
                outcome.append(engine.act(session, task_id=task, action="accept", actor=CLERK))
        except Exception as error:  # the test shows what the action got
            outcome.append(error)

    threads = [threading.Thread(target=hold), threading.Thread(target=act)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcome


def test_lock_wait__an_action_queued_behind_a_due_timer_completes_the_task(
    engine: Engine, committed: Database
) -> None:
    task = _intake(engine, committed)
    outcome = _act_behind(
        engine, committed, task, lambda session: engine.task_overdue(session, task_id=task)
    )
    assert [type(o).__name__ for o in outcome] == ["InstanceView"], outcome
    assert isinstance(outcome[0], InstanceView) and outcome[0].state == "reviews"


def test_lock_wait__an_action_queued_behind_a_claim_of_the_same_person_completes_the_task(
    engine: Engine, committed: Database
) -> None:
    task = _intake(engine, committed)
    outcome = _act_behind(
        engine, committed, task, lambda session: engine.claim(session, task_id=task, actor=CLERK)
    )
    assert [type(o).__name__ for o in outcome] == ["InstanceView"], outcome
