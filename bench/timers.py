"""Timer throughput of two worker processes on PostgreSQL, beside the queue's ceiling.

* workers: N instances wait for documents; their ``wait.timeout`` timers are all due.
  Two processes run ``civicflow.worker.Worker`` (claim a batch with ``FOR UPDATE SKIP
  LOCKED``, then one transaction per timer: engine effect + audit + outbox + job
  done) until none is left; we report timers fired per second.
* ceiling: two processes claim batches of the same size from a bare table with the
  same ``SELECT … FOR UPDATE SKIP LOCKED`` and mark them done, one commit per batch,
  no engine work; we report rows per second.
* between the two, for reading the gap: the same bare claim, then one commit per
  row, as the worker commits per timer (still no engine work).

Setup (creating the instances through the engine) is timed apart and not counted.

    .venv/bin/python bench/timers.py [--timers 20000] [--batch 50]

The PostgreSQL server is ``CIVICFLOW_BENCH_POSTGRES_URL`` (an admin URL; default: the
local server, user postgres). A database ``civicflow_bench_<random>`` is created and
dropped; nothing else is touched.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    create_engine,
    select,
    text,
    update,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from civicflow.worker import Worker
from workflow import Actor, Database, Engine, FixedClock

PG_ADMIN = os.environ.get(
    "CIVICFLOW_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CLERK = Actor(id="bench@city.example.gov", idp="bench", queues=frozenset({"planning/intake"}))
DEFINITION = """
workflow: bench-timeout
title: Wait for documents, withdraw after 30 days
owner: planning
departments:
  planning: {title: Planning}
start: awaiting
states:
  awaiting:
    wait:
      timeout: {after: 30 days, to: withdrawn}
    on: {documents.received: received}
  received: {final: true}
  withdrawn: {final: true}
"""
WORKERS = 2
SETUP_PROCESSES = 4

queue_meta = MetaData()
queue = Table(
    "bench_queue",
    queue_meta,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("status", String(20), nullable=False),
    Column("due_at", DateTime, nullable=False),
    Index("ix_bench_queue_status_due_at", "status", "due_at"),
)


# -- setup -------------------------------------------------------------------------------


def create_waits(url: str, count: int) -> None:
    """``count`` instances that started waiting 30 days and a minute ago."""
    db = Database(url, pool_size=1)
    engine = Engine(clock=FixedClock(datetime.now(UTC) - timedelta(days=30, minutes=1)))
    for offset in range(0, count, 500):
        with db.transaction() as session:
            for _ in range(min(500, count - offset)):
                engine.start(session, workflow="bench-timeout", input={}, actor=CLERK)
    db.dispose()


def prepare(url: str, timers: int) -> float:
    db = Database(url)
    db.upgrade()
    with db.transaction() as session:
        Engine().register(session, DEFINITION, path="bench/timers.py")
    queue_meta.create_all(db.engine)
    with db.engine.begin() as connection:
        past = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
        connection.execute(queue.insert(), [{"status": "pending", "due_at": past}] * timers)
    db.dispose()
    started = time.perf_counter()
    shares = [
        timers // SETUP_PROCESSES + (i < timers % SETUP_PROCESSES) for i in range(SETUP_PROCESSES)
    ]
    parallel(create_waits, [(url, share) for share in shares])
    return time.perf_counter() - started


# -- what is measured ---------------------------------------------------------------------


def worker_process(url: str, name: str, batch: int) -> int:
    db = Database(url, pool_size=2)
    worker = Worker(db, Engine(), name=name, mailer=None, batch=batch)
    fired = worker.drain()
    db.dispose()
    return fired


def ceiling_process(url: str, batch: int, per_row_commit: bool) -> int:
    engine = create_engine(url)
    now = datetime.now(UTC).replace(tzinfo=None)
    claim = (
        select(queue.c.id)
        .where(queue.c.status == "pending", queue.c.due_at <= now)
        .order_by(queue.c.due_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    done = 0
    with engine.connect() as connection:
        while True:
            with connection.begin():
                ids = list(connection.scalars(claim))
                if not ids:
                    break
                connection.execute(
                    update(queue)
                    .where(queue.c.id.in_(ids))
                    .values(status="done" if not per_row_commit else "running")
                )
            if per_row_commit:
                for row in ids:
                    with connection.begin():
                        connection.execute(
                            update(queue).where(queue.c.id == row).values(status="done")
                        )
            done += len(ids)
    engine.dispose()
    return done


def reset_queue(url: str) -> None:
    """Every row pending again, and the dead rows of the last run vacuumed away."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(update(queue).values(status="pending"))
        connection.execute(text("VACUUM ANALYZE bench_queue"))
    engine.dispose()


def _call(target: Callable[..., int], args: tuple[Any, ...], out: Any) -> None:
    out.put(target(*args))


def parallel(target: Callable[..., Any], args: list[tuple[Any, ...]]) -> tuple[int, float]:
    """Run ``target`` in one process per argument tuple; (sum of results, seconds)."""
    context = mp.get_context("spawn")
    out = context.Queue()
    procs = [context.Process(target=_call, args=(target, a, out)) for a in args]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [out.get() for _ in procs]
    elapsed = time.perf_counter() - started
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            raise SystemExit(f"a benchmark process failed (exit {proc.exitcode})")
    return sum(r or 0 for r in results), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timers", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()

    name = f"civicflow_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        setup = prepare(url, args.timers)
        print(f"setup: {args.timers} waiting instances in {setup:.1f} s (not counted)")
        fired, seconds = parallel(
            worker_process, [(url, f"bench-{i}", args.batch) for i in range(WORKERS)]
        )
        if fired != args.timers:
            raise SystemExit(f"expected {args.timers} timers to fire, {fired} did")
        rate = fired / seconds
        print(f"workers  {WORKERS} processes  {rate:8.1f} timers/s  ({fired} in {seconds:.1f} s)")
        rows, seconds = parallel(
            ceiling_process, [(url, args.batch, False) for _ in range(WORKERS)]
        )
        ceiling = rows / seconds
        print(
            f"ceiling  {WORKERS} processes  {ceiling:8.1f} rows/s    (claim + mark, 1 commit/batch)"
        )
        reset_queue(url)
        rows, seconds = parallel(ceiling_process, [(url, args.batch, True) for _ in range(WORKERS)])
        per_row = rows / seconds
        print(f"between  {WORKERS} processes  {per_row:8.1f} rows/s    (claim, then 1 commit/row)")
        print(
            f"ratio    workers/ceiling {rate / ceiling:.3f}   workers/between {rate / per_row:.3f}"
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
