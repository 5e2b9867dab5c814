"""``civicflow worker --lease 2`` killed three times in a row while it holds a batch:
the jobs of that batch, which did not cause the crashes, are not failed; once a
fourth worker runs, every timer fires exactly once and no case is left waiting.

Real processes on a real database, as in ``test_worker__multiprocess``: each victim
is started after the previous one's lease expired, so its first claim is the dead
worker's batch, and it is killed (SIGKILL) holding it, as soon as it has applied a
job of it — the job its predecessor died on, so the three deaths fall on three jobs.
The victim runs in slices of a few milliseconds until then (``kill_holding_leases``),
so even on a loaded machine it gets only a few jobs into a 50-job batch and the
three victims share most of it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.test_worker__multiprocess import (
    Workers,
    jobs_done,
    kill_holding_leases,
    start_overdue_waits,
    timeouts_per_instance,
    until,
)
from workflow.store.database import Database
from workflow.store.models import Base, InstanceRow, JobRow

pytestmark = pytest.mark.slow

TIMERS = 150
LEASE = 2.0


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'crash-loop.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    database = Database(url)
    database.upgrade()
    yield database
    with database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    database.dispose()


class Reader:
    """Reads the database without taking SQLite's write lock (``Database`` begins
    every transaction with ``BEGIN IMMEDIATE``), which a victim frozen by SIGSTOP in
    the middle of a transaction holds; WAL lets readers through."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.sessions = sessionmaker(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            yield session


@pytest.fixture
def reader(db: Database) -> Iterator[Database]:
    if db.supports_row_locks:
        yield db
        return
    plain = Reader(db.url)
    yield plain  # type: ignore[misc]  # it has what the readers below use
    plain.engine.dispose()


@pytest.fixture
def workers(db: Database, tmp_path: Path) -> Iterator[Workers]:
    running = Workers(db.url, tmp_path)
    try:
        yield running
    finally:
        running.kill_all()


def test_workers_killed_three_times_holding_a_batch__every_timer_fires_once(
    db: Database, reader: Database, workers: Workers
) -> None:
    start_overdue_waits(db, TIMERS)
    held: list[list[int]] = []
    for n in range(3):
        name = f"victim-{n}"
        victim = workers.start(name, lease=LEASE)
        held.append(kill_holding_leases(reader, victim, name, applied=1))
        time.sleep(LEASE + 0.2)  # the lease runs out: the next worker reclaims the batch

    assert all(held), f"a victim held no claims when killed: {held}"
    assert set(held[0]) & set(held[1]) & set(held[2]), "the victims did not share a batch"
    workers.start("survivor", lease=LEASE)
    until(lambda: jobs_done(db) == TIMERS, "every timer to fire", workers)
    assert workers.stop_all()["survivor"] == 0, workers.logs_text()

    fired = timeouts_per_instance(db)
    assert (len(fired), set(fired.values())) == (TIMERS, {1})
    with db.transaction() as session:
        statuses = dict(
            session.execute(select(JobRow.status, func.count()).group_by(JobRow.status)).all()
        )
        waiting = session.scalar(
            select(func.count()).select_from(InstanceRow).where(InstanceRow.status == "running")
        )
    assert (statuses, waiting) == ({"done": TIMERS}, 0)
