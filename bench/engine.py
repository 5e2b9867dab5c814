"""Engine throughput beside the database's own ceiling, on the same database.

For SQLite and PostgreSQL, at 1 and 4 concurrent clients (separate processes, so the
GIL does not flatter either side):

* engine: each client runs whole instances of a 4-task cross-department approval
  (start → intake → fire + structural reviews in parallel → sign-off), every call in
  its own transaction as the web app would; we report completed user tasks per second.
* ceiling: each client runs bare SQLAlchemy Core transactions of one UPDATE + one
  INSERT per commit; we report commits per second.

Target (issue #2): engine >= 0.5 x ceiling on PostgreSQL at 4 clients.

    .venv/bin/python bench/engine.py [--seconds 10] [--db sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, text, update

from workflow.actors import Actor
from workflow.engine import Engine
from workflow.store.database import Database

HERE = Path(__file__).resolve().parent
PG_ADMIN = os.environ.get(
    "CIVICFLOW_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
STAFF = Actor(
    id="bench@city.example.gov",
    idp="bench",
    queues=frozenset({"planning/intake", "fire/inspectors", "planning/engineers", "legal/counsel"}),
)
SIGNER = Actor(id="signer@city.example.gov", idp="bench", queues=frozenset({"legal/counsel"}))

raw_meta = MetaData()
raw_counter = Table(
    "bench_counter", raw_meta, Column("id", Integer, primary_key=True), Column("n", Integer)
)
raw_log = Table(
    "bench_log",
    raw_meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("note", String(100)),
)


def engine_client(url: str, seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    db = Database(url, pool_size=2)
    engine = Engine()
    tasks = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        with db.transaction() as s:
            view = engine.start(
                s, workflow="bench-approval", input={"applicant": "A", "address": "B"}, actor=STAFF
            )
        with db.transaction() as s:
            view = engine.act(s, task_id=view.open_tasks()[0].id, action="accept", actor=STAFF)
        for task in view.open_tasks():
            with db.transaction() as s:
                view = engine.act(s, task_id=task.id, action="approve", actor=STAFF)
        with db.transaction() as s:
            engine.act(s, task_id=view.open_tasks()[0].id, action="sign", actor=SIGNER)
        tasks += 4
    out.put(tasks)
    db.dispose()


def raw_client(url: str, seconds: float, row: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    db = Database(url, pool_size=2)  # same connection set-up (WAL, BEGIN IMMEDIATE) as the engine
    commits = 0
    deadline = time.perf_counter() + seconds
    with db.engine.connect() as conn:
        while time.perf_counter() < deadline:
            with conn.begin():
                conn.execute(
                    update(raw_counter).where(raw_counter.c.id == row).values(n=raw_counter.c.n + 1)
                )
                conn.execute(raw_log.insert().values(note="x"))
            commits += 1
    out.put(commits)
    db.dispose()


def run(target, clients: int, args_for) -> float:  # type: ignore[no-untyped-def]
    out: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    procs = [mp.Process(target=target, args=(*args_for(i), out)) for i in range(clients)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    total = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return total / (time.perf_counter() - started)


def prepare(url: str) -> None:
    db = Database(url)
    db.upgrade()
    with db.transaction() as s:
        Engine().register(
            s,
            (HERE / "approval.yaml")
            .read_text()
            .replace("workflow: approval", "workflow: bench-approval"),
            path="bench/approval.yaml",
        )
    raw_meta.create_all(db.engine)
    with db.engine.begin() as conn:
        conn.execute(raw_counter.insert(), [{"id": i, "n": 0} for i in range(8)])
    db.dispose()


def bench(name: str, url: str, seconds: float) -> None:
    prepare(url)
    for clients in (1, 4):
        tasks = run(engine_client, clients, lambda i: (url, seconds))
        commits = run(raw_client, clients, lambda i: (url, seconds, i))
        print(
            f"{name:10} clients={clients}  engine {tasks:8.1f} tasks/s   "
            f"ceiling {commits:8.1f} commits/s   ratio {tasks / commits:5.2f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()
    kinds = args.db.split(",")
    if "sqlite" in kinds:
        with tempfile.TemporaryDirectory() as tmp:
            bench("sqlite", f"sqlite:///{tmp}/bench.db", args.seconds)
    if "postgresql" in kinds:
        name = f"civicflow_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            bench(
                "postgresql",
                admin.url.set(database=name).render_as_string(hide_password=False),
                args.seconds,
            )
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
