"""The worker applies due timers exactly when they fall due, through the engine, on
SQLite and PostgreSQL (real commits: the worker runs its own transactions)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from civicflow.worker import Worker
from tests.conftest import DATA, T0, read, staff
from workflow.actors import SYSTEM
from workflow.clock import FixedClock
from workflow.engine import Engine
from workflow.people.directory import load_directory
from workflow.people.registry import People
from workflow.store.database import Database
from workflow.store.models import AuditRow, JobRow, NotificationRow, TaskRow
from workflow.store.repository import Store
from workflow.views import InstanceView

CLERK = staff("ana.ortiz@planning.example.gov", "planning/intake")


@pytest.fixture
def worker(committed: Database, engine: Engine, clock: FixedClock) -> Worker:
    return Worker(committed, engine, name="worker-1", mailer=None, clock=clock)


def start(db: Database, engine: Engine, name: str, input: dict[str, str]) -> InstanceView:
    with db.transaction() as session:
        key = engine.register(session, read(name), path=f"{name}.yaml").key
        return engine.start(session, workflow=key, input=input, actor=CLERK)


def jobs(db: Database, kind: str | None = None) -> list[JobRow]:
    with db.transaction() as session:
        query = select(JobRow).order_by(JobRow.id)
        if kind is not None:
            query = query.where(JobRow.kind == kind)
        return list(session.scalars(query))


def the_task(db: Database, instance: InstanceView) -> TaskRow:
    with db.transaction() as session:
        return session.scalars(select(TaskRow).where(TaskRow.instance_id == instance.id)).one()


def audit_actions(db: Database, instance: InstanceView) -> list[str]:
    with db.transaction() as session:
        query = select(AuditRow.action).where(AuditRow.instance_id == instance.id)
        return list(session.scalars(query.order_by(AuditRow.seq)))


def test_wait_timeout__fires_when_due_and_moves_the_instance(
    committed: Database, engine: Engine, clock: FixedClock, worker: Worker
) -> None:
    case = start(committed, engine, "worker/timeout", {})
    clock.set(T0 + timedelta(days=30))

    assert worker.run_once() == 1

    with committed.transaction() as session:
        view = engine.instance(session, case.id)
    assert (view.state, view.status) == ("withdrawn", "completed")
    assert view.history[-1].action == "instance.timed_out"
    [job] = jobs(committed)
    assert (job.status, job.attempts, job.finished_at) == ("done", 1, T0 + timedelta(days=30))


def test_job_not_yet_due__is_not_run(
    committed: Database, engine: Engine, clock: FixedClock, worker: Worker
) -> None:
    case = start(committed, engine, "worker/timeout", {})
    clock.set(T0 + timedelta(days=30) - timedelta(seconds=1))

    assert worker.run_once() == 0

    assert [(j.status, j.attempts) for j in jobs(committed)] == [("pending", 0)]
    assert audit_actions(committed, case) == ["instance.started"]


def test_task_due__flags_the_task_overdue(
    committed: Database, engine: Engine, clock: FixedClock, worker: Worker
) -> None:
    case = start(committed, engine, "worker/sla", {"address": "1 Main St"})
    [due] = jobs(committed, "task.due")
    clock.set(due.due_at)

    worker.run_once()

    assert the_task(committed, case).overdue is True
    assert "task.overdue" in audit_actions(committed, case)


def test_task_remind__notifies_the_queue(
    committed: Database, engine: Engine, clock: FixedClock, worker: Worker
) -> None:
    with committed.transaction() as session:
        directory = load_directory(DATA / "directory" / "small.yaml")
        People(session).import_directory(directory, now=T0, actor=SYSTEM)
    case = start(committed, engine, "worker/sla", {"address": "1 Main St"})
    [remind] = jobs(committed, "task.remind")
    clock.set(remind.due_at)

    assert worker.run_once() == 1

    with committed.transaction() as session:
        notes = session.execute(
            select(NotificationRow.recipient, NotificationRow.subject).order_by(
                NotificationRow.recipient
            )
        ).all()
    assert [tuple(n) for n in notes] == [
        (email, "Reminder: Check completeness: 1 Main St")
        for email in (
            "ana.ortiz@planning.example.gov",
            "ben.okafor@planning.example.gov",
            "dev.rao@planning.example.gov",
        )
    ]
    assert audit_actions(committed, case)[-1] == "task.reminded"


def test_task_escalate__after_business_days_across_a_weekend_and_july_4th(
    committed: Database, engine: Engine, clock: FixedClock, worker: Worker
) -> None:
    # Thursday 2 July 2026, 09:00 in New York. Friday 3 July is Independence Day
    # (observed), then the weekend: 3 business days later is Wednesday 8 July.
    clock.set(datetime(2026, 7, 2, 13, 0, tzinfo=UTC))
    case = start(committed, engine, "worker/sla", {"address": "1 Main St"})
    wednesday_9am_new_york = datetime(2026, 7, 8, 13, 0, tzinfo=UTC)

    clock.set(wednesday_9am_new_york - timedelta(minutes=1))
    worker.run_once()  # the reminder (Monday) and the deadline (Tuesday) fire
    assert the_task(committed, case).queue == "planning/intake"

    clock.set(wednesday_9am_new_york)
    assert worker.run_once() == 1

    task = the_task(committed, case)
    assert (task.queue, task.escalated_at) == ("planning/supervisors", wednesday_9am_new_york)
    assert audit_actions(committed, case)[-3:] == [
        "task.reminded",
        "task.overdue",
        "task.escalated",
    ]


def test_timer_of_a_completed_task__does_nothing(
    committed: Database, engine: Engine, clock: FixedClock, worker: Worker
) -> None:
    case = start(committed, engine, "worker/sla", {"address": "1 Main St"})
    with committed.transaction() as session:
        engine.act(session, task_id=case.open_tasks()[0].id, action="accept", actor=CLERK)
    clock.advance(timedelta(days=30))

    worker.run_once()

    assert {j.status for j in jobs(committed)} <= {"done", "cancelled"}
    assert the_task(committed, case).overdue is False
    assert audit_actions(committed, case) == ["instance.started", "task.completed"]
    with committed.transaction() as session:
        assert session.scalars(select(NotificationRow)).all() == []


def test_failing_job__is_marked_failed_after_its_attempts(
    committed: Database,
    engine: Engine,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    worker = Worker(
        committed,
        engine,
        name="worker-1",
        mailer=None,
        clock=clock,
        max_attempts=3,
        retry_delay=timedelta(minutes=1),
    )
    gone = uuid.uuid4()  # an instance that does not exist: every attempt raises NotFoundError
    with committed.transaction() as session:
        Store(session).add_job(
            kind="wait.timeout", due_at=T0, now=T0, instance_id=gone, payload={"state": "x"}
        )

    processed = []
    for _ in range(4):
        processed.append(worker.run_once())
        clock.advance(timedelta(minutes=5))

    assert processed == [1, 1, 1, 0]
    [job] = jobs(committed)
    assert (job.status, job.attempts) == ("failed", 3)
    assert job.payload["error"]["type"] == "NotFoundError"
    assert str(gone) in job.payload["error"]["message"]
    assert any(r.levelno == logging.ERROR and "failed after 3" in r.message for r in caplog.records)


def test_expired_lease__is_reclaimed_and_the_late_worker_applies_nothing(
    committed: Database, engine: Engine, clock: FixedClock
) -> None:
    case = start(committed, engine, "worker/timeout", {})
    clock.set(T0 + timedelta(days=30))
    lease = timedelta(seconds=60)
    dead = Worker(committed, engine, name="dead", mailer=None, clock=clock, lease=lease)
    survivor = Worker(committed, engine, name="survivor", mailer=None, clock=clock, lease=lease)
    [claim] = dead.claim()  # ...and the worker dies before applying it

    assert survivor.run_once() == 0  # leased: not touched while the lease runs
    clock.advance(lease + timedelta(seconds=1))
    assert survivor.run_once() == 1
    assert dead.process(claim) == "lost"  # it wakes up late: its claim is no longer its own

    [job] = jobs(committed)
    assert (job.status, job.locked_by, job.attempts) == ("done", "survivor", 2)
    assert audit_actions(committed, case).count("instance.timed_out") == 1


def test_job_that_keeps_killing_its_worker__is_failed_not_retried_forever(
    committed: Database, engine: Engine, clock: FixedClock
) -> None:
    case = start(committed, engine, "worker/timeout", {})
    clock.set(T0 + timedelta(days=30))
    lease = timedelta(seconds=60)
    for attempt in range(3):  # three workers start it and die before finishing it
        dying = Worker(committed, engine, name=f"dying-{attempt}", mailer=None, clock=clock)
        assert len(dying.claim()) == 1
        clock.advance(lease + timedelta(seconds=1))

    survivor = Worker(committed, engine, name="survivor", mailer=None, clock=clock)
    assert survivor.run_once() == 0

    [job] = jobs(committed)
    assert (job.status, job.attempts) == ("failed", 3)
    assert job.payload["error"]["type"] == "LeaseExpired"
    assert audit_actions(committed, case) == ["instance.started"]
