"""Two ``civicflow worker`` processes on one PostgreSQL fire 1,000 due timers exactly
once, even when one of them is killed with SIGKILL in the middle of its work.

The timers are due by the real clock (the instances were started "30 days and a minute
ago"), so the worker processes run unmodified. They are started first and the timers
committed while they poll, so both take part from the start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import read, staff
from workflow.clock import FixedClock
from workflow.engine import Engine
from workflow.store.database import Database
from workflow.store.models import AuditRow, Base, InstanceRow, JobRow

pytestmark = pytest.mark.slow

CIVICFLOW = Path(sys.executable).with_name("civicflow")
TIMERS = 1000
CLERK = staff("ana.ortiz@planning.example.gov", "planning/intake")


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    db = Database(postgres_url)
    db.upgrade()
    yield db
    with db.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    db.dispose()


class Workers:
    """``civicflow worker`` processes, their logs in files (a full pipe would block)."""

    def __init__(self, url: str, logs: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICFLOW_SMTP")}
        self.env["CIVICFLOW_DATABASE_URL"] = url
        self.logs = logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *, lease: float) -> subprocess.Popen[bytes]:
        command = [str(CIVICFLOW), "worker", "--name", name, "--poll", "0.1"]
        with (self.logs / f"{name}.log").open("wb") as log:  # the child keeps its own copy
            proc = subprocess.Popen(
                [*command, "--lease", str(lease)], env=self.env, stdout=log, stderr=log
            )
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def wait_started(self) -> None:
        for name in self.procs:
            until(lambda n=name: f"worker {n} started" in self.log(n), f"{name} to start", self)

    def stop_all(self) -> dict[str, int | None]:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        return {name: proc.wait(timeout=20) for name, proc in self.procs.items()}

    def kill_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def logs_text(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)[-3000:]}" for name in self.procs)


@pytest.fixture
def workers(pg: Database, tmp_path: Path) -> Iterator[Workers]:
    running = Workers(pg.url, tmp_path)
    try:
        yield running
    finally:
        running.kill_all()


def until(condition: Callable[[], bool], what: str, workers: Workers, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}\n{workers.logs_text()}")
        time.sleep(0.05)


def start_overdue_waits(db: Database, count: int) -> None:
    """``count`` instances waiting since 30 days and a minute: their timeouts are due."""
    engine = Engine(clock=FixedClock(datetime.now(UTC) - timedelta(days=30, minutes=1)))
    with db.transaction() as session:
        key = engine.register(session, read("worker/timeout"), path="timeout.yaml").key
    for offset in range(0, count, 250):
        with db.transaction() as session:
            for _ in range(min(250, count - offset)):
                engine.start(session, workflow=key, input={}, actor=CLERK)


def jobs_done(db: Database, by: str | None = None) -> int:
    with db.transaction() as session:
        query = select(func.count()).select_from(JobRow).where(JobRow.status == "done")
        if by is not None:
            query = query.where(JobRow.locked_by == by)
        return int(session.scalar(query) or 0)


def timeouts_per_instance(db: Database) -> dict[object, int]:
    with db.transaction() as session:
        rows = session.execute(
            select(AuditRow.instance_id, func.count())
            .where(AuditRow.action == "instance.timed_out")
            .group_by(AuditRow.instance_id)
        ).all()
    return {instance: count for instance, count in rows}


def assert_every_timer_fired_once(db: Database) -> None:
    fired = timeouts_per_instance(db)
    assert len(fired) == TIMERS
    assert set(fired.values()) == {1}
    with db.transaction() as session:
        states = session.execute(
            select(InstanceRow.state, func.count()).group_by(InstanceRow.state)
        ).all()
        statuses = session.execute(
            select(JobRow.status, func.count()).group_by(JobRow.status)
        ).all()
    assert [tuple(s) for s in states] == [("withdrawn", TIMERS)]
    assert [tuple(s) for s in statuses] == [("done", TIMERS)]


def test_two_worker_processes__fire_every_timer_exactly_once(
    pg: Database, workers: Workers
) -> None:
    workers.start("one", lease=60)
    workers.start("two", lease=60)
    workers.wait_started()

    start_overdue_waits(pg, TIMERS)
    until(lambda: jobs_done(pg) == TIMERS, "all timers to fire", workers)

    assert workers.stop_all() == {"one": 0, "two": 0}, workers.logs_text()
    assert_every_timer_fired_once(pg)
    assert jobs_done(pg, by="one") > 0 and jobs_done(pg, by="two") > 0


def test_a_killed_worker__loses_nothing_and_doubles_nothing(pg: Database, workers: Workers) -> None:
    lease = 3.0
    victim = workers.start("victim", lease=lease)
    workers.start("survivor", lease=lease)
    workers.wait_started()
    start_overdue_waits(pg, TIMERS)
    until(lambda: jobs_done(pg, by="victim") >= 50, "the victim to do some work", workers)

    held = kill_holding_leases(pg, victim)

    assert held, "the victim held no claims when it was killed"
    until(lambda: jobs_done(pg) == TIMERS, "the survivor to finish", workers)
    assert workers.stop_all()["survivor"] == 0, workers.logs_text()
    assert_every_timer_fired_once(pg)
    with pg.transaction() as session:
        reclaimed = session.execute(
            select(JobRow.locked_by, JobRow.attempts).where(JobRow.id.in_(held))
        ).all()
    # only the job the victim was applying was charged for its death
    attempts = [charged for by, charged in reclaimed if by == "survivor"]
    assert len(attempts) == len(held) and attempts.count(2) <= 1 and set(attempts) <= {1, 2}


def kill_holding_leases(
    db: Database,
    victim: subprocess.Popen[bytes],
    name: str = "victim",
    *,
    applied: int = 0,
    timeout: float = 60,
) -> list[int]:
    """SIGKILL the victim at the first moment it holds claimed jobs and has applied at
    least ``applied`` of its own; returns the ids it held, read after its connections
    died.

    The victim runs in short slices: it is frozen with SIGSTOP to look and resumed
    for a few milliseconds at a time, so however loaded the machine, it gets only a
    few jobs further than the condition before it is caught."""
    deadline = time.monotonic() + timeout
    while True:
        victim.send_signal(signal.SIGSTOP)
        if leased_to(db, name) and (applied == 0 or jobs_done(db, by=name) >= applied):
            break
        if victim.poll() is not None or time.monotonic() > deadline:
            break  # the caller's assertion on what was held reports it
        victim.send_signal(signal.SIGCONT)
        time.sleep(0.005)
    victim.kill()
    victim.wait()
    time.sleep(0.3)  # let PostgreSQL notice the dead connections and roll them back
    return leased_to(db, name)


def leased_to(db: Database, name: str) -> list[int]:
    with db.transaction() as session:
        return list(
            session.scalars(
                select(JobRow.id).where(JobRow.status == "running", JobRow.locked_by == name)
            )
        )
