"""``civicflow jobs failed`` lists the timers the worker gave up on; ``civicflow jobs
retry`` queues them again, and the next worker round applies them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from civicflow.cli import main
from civicflow.worker import Worker
from tests.conftest import read, staff
from workflow.clock import SystemClock
from workflow.engine import Engine
from workflow.store.database import Database
from workflow.store.models import InstanceRow, JobRow

CLERK = staff("ana.ortiz@planning.example.gov", "planning/intake")
LEASE = timedelta(seconds=60)


def jobs_cli(db: Database, *args: str) -> Result:
    return CliRunner().invoke(main, ["jobs", *args], env={"CIVICFLOW_DATABASE_URL": db.url})


@pytest.fixture
def failed_job(committed: Database) -> int:
    """The wait timeout of one case, failed: the worker applying it died (max_attempts
    is 1), and the next worker to claim it gave up on it."""
    engine = Engine(clock=SystemClock())
    with committed.transaction() as session:
        key = engine.register(session, read("worker/timeout"), path="timeout.yaml").key
        engine.start(session, workflow=key, input={}, actor=CLERK)
        session.execute(JobRow.__table__.update().values(due_at=engine.clock.now()))
    dying = Worker(committed, engine, name="dying", mailer=None, max_attempts=1, lease=LEASE)
    [claim] = dying.claim()
    with committed.transaction() as session:  # its lease ran out
        session.execute(JobRow.__table__.update().values(lease_until=engine.clock.now()))
    Worker(committed, engine, name="next", mailer=None, max_attempts=1).run_once()
    return claim.id


def status(db: Database, job_id: int) -> str:
    with db.transaction() as session:
        return str(session.scalar(select(JobRow.status).where(JobRow.id == job_id)))


def test_jobs_failed__lists_id_kind_instance_attempts_and_error(
    committed: Database, failed_job: int
) -> None:
    result = jobs_cli(committed, "failed")

    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    with committed.transaction() as session:
        instance = session.scalars(select(InstanceRow.id)).one()
    assert line.split("\t")[:4] == [str(failed_job), "wait.timeout", str(instance), "1 attempt(s)"]
    assert line.split("\t")[4].startswith("LeaseExpired: the worker died")


def test_jobs_retry__queues_the_job_and_the_worker_applies_it(
    committed: Database, failed_job: int
) -> None:
    result = jobs_cli(committed, "retry", str(failed_job))

    assert (result.exit_code, result.stdout) == (0, f"1 job(s) queued again: {failed_job}\n")
    assert status(committed, failed_job) == "pending"
    Worker(committed, Engine(clock=SystemClock()), name="w", mailer=None).run_once()
    with committed.transaction() as session:
        assert session.scalars(select(InstanceRow.state)).one() == "withdrawn"
    assert jobs_cli(committed, "failed").stdout == ""


def test_jobs_retry_all__queues_every_failed_job(committed: Database, failed_job: int) -> None:
    result = jobs_cli(committed, "retry", "--all")

    assert (result.exit_code, result.stdout) == (0, f"1 job(s) queued again: {failed_job}\n")
    assert status(committed, failed_job) == "pending"


def test_jobs_retry__refuses_a_job_that_did_not_fail_and_changes_nothing(
    committed: Database, failed_job: int
) -> None:
    jobs_cli(committed, "retry", str(failed_job))
    Worker(committed, Engine(clock=SystemClock()), name="w", mailer=None).run_once()

    result = jobs_cli(committed, "retry", str(failed_job), str(failed_job + 1000))

    assert result.exit_code == 1
    assert f"only failed jobs can be retried: {failed_job} is done" in result.stderr
    assert status(committed, failed_job) == "done"


def test_jobs_retry__of_an_unknown_id_says_so(committed: Database) -> None:
    result = jobs_cli(committed, "retry", "4242")
    assert (result.exit_code, result.stderr) == (1, "error: no job 4242\n")


def test_jobs_retry__needs_ids_or_all(committed: Database) -> None:
    result = jobs_cli(committed, "retry")
    assert result.exit_code == 2 and "give the ids of failed jobs, or --all" in result.stderr
