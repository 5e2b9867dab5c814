"""A worker that dies holding a batch charges only the job it was applying: the rest
of its batch is reclaimed as it was, and fires once the next worker gets to it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from civicflow.worker import Worker
from tests.conftest import T0, read, staff
from workflow.clock import FixedClock
from workflow.engine import Engine
from workflow.store.database import Database
from workflow.store.models import InstanceRow, JobRow

CLERK = staff("ana.ortiz@planning.example.gov", "planning/intake")
LEASE = timedelta(seconds=60)
CASES = 6


def start_waits(db: Database, engine: Engine) -> None:
    with db.transaction() as session:
        key = engine.register(session, read("worker/timeout"), path="timeout.yaml").key
        for _ in range(CASES):
            engine.start(session, workflow=key, input={}, actor=CLERK)


def die_after(db: Database, engine: Engine, clock: FixedClock, name: str, done: int) -> int:
    """A worker claims a batch, applies ``done`` jobs of it and dies applying the
    next; returns the id of the job it died on."""
    worker = Worker(db, engine, name=name, mailer=None, clock=clock, batch=CASES, lease=LEASE)
    claims = worker.claim()
    for index in range(done):
        assert worker.process(claims[index], then=claims[index + 1]) == "done"
    clock.advance(LEASE + timedelta(seconds=1))
    return claims[done].id


def test_three_workers_dying_on_different_jobs__fail_no_job(
    committed: Database, engine: Engine, clock: FixedClock
) -> None:
    start_waits(committed, engine)
    clock.set(T0 + timedelta(days=30))
    died_on = [die_after(committed, engine, clock, f"dying-{n}", done=1) for n in range(3)]

    survivor = Worker(committed, engine, name="survivor", mailer=None, clock=clock)
    assert survivor.drain() == CASES - 3

    with committed.transaction() as session:
        jobs = {job.id: job for job in session.scalars(select(JobRow))}
        states = set(session.scalars(select(InstanceRow.state)))
    assert {job.status for job in jobs.values()} == {"done"}
    assert states == {"withdrawn"}
    assert [jobs[job_id].attempts for job_id in died_on] == [2, 2, 2]  # its death, then done
    assert {jobs[job_id].attempts for job_id in set(jobs) - set(died_on)} == {1}


def test_a_job_its_worker_died_on_three_times__fails_alone(
    committed: Database, engine: Engine, clock: FixedClock
) -> None:
    start_waits(committed, engine)
    clock.set(T0 + timedelta(days=30))
    died_on = {die_after(committed, engine, clock, f"dying-{n}", done=0) for n in range(3)}

    survivor = Worker(committed, engine, name="survivor", mailer=None, clock=clock)
    survivor.drain()

    with committed.transaction() as session:
        failed = session.execute(
            select(JobRow.id, JobRow.attempts).where(JobRow.status == "failed")
        ).all()
        done = session.scalars(select(JobRow.id).where(JobRow.status == "done")).all()
    assert len(died_on) == 1
    assert [tuple(row) for row in failed] == [(died_on.pop(), 3)]
    assert len(done) == CASES - 1
