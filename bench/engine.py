"""Engine throughput beside the database's own ceiling, on the same database.

For SQLite and PostgreSQL, at 1 and 4 concurrent clients (separate processes, so the
GIL does not flatter either side):

* engine: each client runs whole instances of a 4-task cross-department approval
  (start → intake → fire + structural reviews in parallel → sign-off), every call in
  its own transaction as the web app would; we report completed user tasks per second.
* ceiling: each client runs bare SQLAlchemy Core transactions of one UPDATE + one
  INSERT per commit; we report commits per second.
* floor: the same bare transactions, but with as many statements per commit as the
  engine issues on average (counted in this run, one instance through the engine):
  one UPDATE and the rest INSERTs. What the database and the driver alone cost for
  the engine's round trips, with no engine work; reported, like the engine, as tasks
  per second (5 commits per 4 tasks).

Target (issue #2): engine >= 0.5 x ceiling on PostgreSQL at 4 clients. The floor says
how much of that any engine issuing these statements could reach on this machine.

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

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    text,
    update,
)

from workflow import Actor, Database, Engine

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


TASKS_PER_INSTANCE = 4
TRANSACTIONS_PER_INSTANCE = 5  # start, intake, two reviews, sign-off


def engine_client(
    url: str,
    seconds: float,
    out: mp.Queue,  # type: ignore[type-arg]
    *,
    db: Database | None = None,
    instances: int | None = None,
) -> None:
    """Run whole instances for ``seconds`` (or exactly ``instances`` of them)."""
    own = db is None
    db = db or Database(url, pool_size=2)
    engine = Engine()
    tasks = 0
    deadline = time.perf_counter() + seconds
    while (
        time.perf_counter() < deadline
        if instances is None
        else tasks < TASKS_PER_INSTANCE * instances
    ):
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
        tasks += TASKS_PER_INSTANCE
    out.put(tasks)
    if own:
        db.dispose()


def bare_client(url: str, seconds: float, row: int, statements: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    """Bare Core transactions of one UPDATE and ``statements - 1`` INSERTs: the
    ceiling with 2, the floor with the engine's count."""
    db = Database(url, pool_size=2)  # same connection set-up (WAL, BEGIN IMMEDIATE) as the engine
    commits = 0
    deadline = time.perf_counter() + seconds
    with db.engine.connect() as conn:
        while time.perf_counter() < deadline:
            with conn.begin():
                conn.execute(
                    update(raw_counter).where(raw_counter.c.id == row).values(n=raw_counter.c.n + 1)
                )
                for _ in range(statements - 1):
                    conn.execute(raw_log.insert().values(note="x"))
            commits += 1
    out.put(commits)
    db.dispose()


def statements_per_commit(url: str) -> float:
    """The engine's statements per transaction (BEGIN and COMMIT not counted), over
    one instance of the approval."""
    db = Database(url, pool_size=2)
    counted = [0]

    @event.listens_for(db.engine, "before_cursor_execute")
    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith("BEGIN"):
            counted[0] += 1

    out: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    engine_client(url, 0.0, out, db=db, instances=1)
    db.dispose()
    return counted[0] / TRANSACTIONS_PER_INSTANCE


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
    per_commit = statements_per_commit(url)
    statements = round(per_commit)
    print(f"{name:10} the engine issues {per_commit:.1f} statements per transaction", flush=True)
    for clients in (1, 4):
        tasks = run(engine_client, clients, lambda i: (url, seconds))
        commits = run(bare_client, clients, lambda i: (url, seconds, i, 2))
        floor = run(bare_client, clients, lambda i: (url, seconds, i, statements))
        floor_tasks = floor * TASKS_PER_INSTANCE / TRANSACTIONS_PER_INSTANCE
        print(
            f"{name:10} clients={clients}  engine {tasks:7.1f} tasks/s   "
            f"ceiling {commits:7.1f} commits/s   ratio {tasks / commits:4.2f}   "
            f"floor ({statements} statements) {floor_tasks:7.1f} tasks/s, "
            f"ratio {floor_tasks / commits:4.2f}",
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
