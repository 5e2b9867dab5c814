"""Inbox latency at 10 thousand and at 1 million tasks, on PostgreSQL.

Seeds its own database ``civicflow_bench_inbox_<random>`` (created here, dropped at
the end) with tasks spread over 50 queues and 5,000 people, a tenth of them open,
four tasks per instance. Every row is a pure function of its sequence number, so
growing from 10k to 1M inserts numbers 10,000..999,999 with the same proportions.
After each size: ``VACUUM ANALYZE`` (what autovacuum does after a bulk load), then
each inbox query is run ``--runs`` times end to end — ``workflow.inbox.inbox`` in its
own transaction, SQL plus building the ``TaskView`` items — and p50/p95 are printed.

The measured person is in 5 queues and is a heavy user (1 in 16 open tasks assigned
to them, some delegated, standing in for a colleague, 1 in 50 completed tasks theirs),
so every view returns a full page at both sizes and the two sizes compare like with
like. Targets: p95 <= 10 ms at 1M, and p95 at 1M <= 1.5 x p95 at 10k.

    .venv/bin/python bench/inbox.py [--runs 200] [--small 10000] [--large 1000000]

``CIVICFLOW_BENCH_POSTGRES_URL``: an admin URL (default: local server, user postgres).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workflow import Actor, Database, InboxQuery, inbox, inbox_statement

PG_ADMIN = os.environ.get(
    "CIVICFLOW_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
QUEUES = [f"dept{d:02}/group{g}" for d in range(10) for g in range(5)]  # 50 queues
USERS = 5_000
ME = "me@bench.example.gov"
AWAY = "u00001@bench.example.gov"  # the colleague ME stands in for today
ACTOR = Actor(id=ME, name="Bench", idp="bench", queues=frozenset(QUEUES[:5]))
WORKFLOWS = ["permit", "license", "grant", "complaint", "procurement"]
TARGET_P95_MS = 10.0
TARGET_GROWTH = 1.5
PAGE = 50


def cut(make: Callable[[], InboxQuery], rows: int) -> Callable[[], InboxQuery]:
    return lambda: replace(make(), limit=rows)


def like_for_like(name: str) -> str:
    return f"{name}, as many rows as at the small size"


# -- seeding -----------------------------------------------------------------------------
# h(i, salt) is a deterministic pseudo-random non-negative integer per row and purpose.
H = "abs(hashtext({i}::text || '{salt}'))"


def h(i: str, salt: str) -> str:
    return H.format(i=i, salt=salt)


def seed_static(conn: Connection) -> None:
    """Departments, queues, people, memberships, definitions, one absence."""
    conn.execute(
        text(
            "INSERT INTO departments (key, title) "
            "SELECT 'dept' || lpad(d::text, 2, '0'), 'Department ' || d "
            "FROM generate_series(0, 9) d"
        )
    )
    conn.execute(
        text(
            'INSERT INTO queues (key, department, "group") '
            "SELECT 'dept' || lpad(d::text, 2, '0') || '/group' || g, "
            "'dept' || lpad(d::text, 2, '0'), 'group' || g "
            "FROM generate_series(0, 9) d, generate_series(0, 4) g"
        )
    )
    conn.execute(
        text(
            "INSERT INTO users (id, issuer, subject, email, name, active, created_at, updated_at) "
            "SELECT md5('user' || u)::uuid, 'directory', e, e, 'Person ' || u, true, :t, :t "
            "FROM (SELECT u, CASE WHEN u = 0 THEN :me "
            "ELSE 'u' || lpad(u::text, 5, '0') || '@bench.example.gov' END AS e "
            "FROM generate_series(0, :n - 1) u) s"
        ),
        {"t": NOW, "me": ME, "n": USERS},
    )
    conn.execute(
        text(
            "INSERT INTO memberships (user_id, queue, source, lead) "
            "SELECT DISTINCT md5('user' || u)::uuid, q.key, 'directory', false "
            "FROM generate_series(1, :n - 1) u, generate_series(0, 1) k, "
            "LATERAL (SELECT key FROM queues ORDER BY key "
            "OFFSET (abs(hashtext(u::text || 'm' || k)) % 50) LIMIT 1) q"
        ),
        {"n": USERS},
    )
    conn.execute(
        text(
            "INSERT INTO memberships (user_id, queue, source, lead) "
            "SELECT md5('user0')::uuid, key, 'directory', false FROM queues WHERE key = ANY(:q)"
        ),
        {"q": sorted(ACTOR.queues)},
    )
    for n, key in enumerate(WORKFLOWS, 1):
        conn.execute(
            text(
                "INSERT INTO definitions (id, key, version, content_hash, title, source, "
                "source_path, registered_at, registered_by) "
                "VALUES (:id, :key, 1, :hash, :title, '', 'bench', :t, 'bench')"
            ),
            {"id": n, "key": key, "hash": f"{n:064x}", "title": key.title(), "t": NOW},
        )
    conn.execute(
        text(
            "INSERT INTO substitutes (user_email, substitute_email, starts_on, ends_on, "
            "created_at) VALUES (:away, :me, :start, :end, :t)"
        ),
        {
            "away": AWAY,
            "me": ME,
            "start": NOW.date() - timedelta(days=2),
            "end": NOW.date() + timedelta(days=5),
            "t": NOW,
        },
    )


def seed_tasks(conn: Connection, start: int, stop: int) -> None:
    """Tasks ``start``..``stop - 1`` and their instances (task i belongs to i // 4)."""
    user = ("'u' || lpad((1 + {} % ({} - 1))::text, 5, '0') || '@bench.example.gov'").format
    conn.execute(
        text(
            "INSERT INTO instances (id, definition_id, workflow_key, business_key, state, "
            "status, input, data, outcomes, last_form, created_at, updated_at, completed_at, "
            "created_by, audit_seq, audit_head, version) "
            "SELECT md5('i' || n)::uuid, 1 + n % 5, (CAST(:wf AS text[]))[1 + n % 5], "
            "'case-' || n, "
            "'review', 'running', json_build_object('applicant', 'Applicant ' || n, "
            "'address', n || ' Main St', 'floor_area_m2', n % 900, "
            "'district', (ARRAY['North','South','East','West'])[1 + n % 4]), "
            "'{}'::json, '{}'::json, "
            "NULL, :t - (n % 730) * interval '1 day', :t, NULL, 'intake@bench', 1, NULL, 1 "
            "FROM generate_series(CAST(:a AS bigint), CAST(:b AS bigint)) n"
        ),
        {"wf": WORKFLOWS, "t": NOW, "a": -(-start // 4), "b": (stop - 1) // 4},
    )
    conn.execute(
        text(
            "INSERT INTO instance_fields (name, value, instance_id) "
            "SELECT f.name, f.value, md5('i' || n)::uuid "
            "FROM generate_series(CAST(:a AS bigint), CAST(:b AS bigint)) n, "
            "LATERAL (VALUES ('applicant', 's:Applicant ' || n), "
            "('address', 's:' || n || ' Main St'), ('floor_area_m2', 'n:' || n % 900), "
            "('district', 's:' || (ARRAY['North','South','East','West'])[1 + n % 4])) "
            "f(name, value)"
        ),
        {"a": -(-start // 4), "b": (stop - 1) // 4},
    )
    open_ = "i % 10 = 0"
    conn.execute(
        text(
            "INSERT INTO tasks (id, instance_id, workflow_key, state, branch, title, queue, "
            "actions, status, priority, assignee, delegate, due_at, overdue, escalated_at, "
            "created_at, completed_at, completed_by, on_behalf_of, outcome, version) "
            "SELECT md5('t' || i)::uuid, md5('i' || (i / 4))::uuid, "
            "(CAST(:wf AS text[]))[1 + (i / 4) % 5], "
            "(ARRAY['intake','review','signoff'])[1 + i % 3], "
            "NULL, 'Task ' || i, (CAST(:queues AS text[]))[1 + " + h("i", "q") + " % 50], "
            '\'["approve", "reject"]\'::json, '
            f"CASE WHEN {open_} THEN 'open' WHEN i % 10 = 1 THEN 'cancelled' "
            "ELSE 'completed' END, "
            "CASE WHEN " + h("i", "p") + " % 10 = 0 THEN 1 + " + h("i", "p2") + " % 10 "
            "ELSE 0 END, "
            # open: 1 in 16 mine, about half someone else's, the rest unclaimed
            f"CASE WHEN NOT ({open_}) THEN {user(h('i', 'c'), USERS)} "
            f"WHEN {h('i', 'a')} % 16 = 0 THEN :me "
            f"WHEN {h('i', 'a')} % 16 < 9 THEN {user(h('i', 'u'), USERS)} END, "
            f"CASE WHEN {open_} AND {h('i', 'a')} % 16 BETWEEN 1 AND 8 "
            f"AND {h('i', 'd')} % 100 = 0 THEN :me END, "
            f"CASE WHEN {h('i', 'n')} % 10 = 0 THEN NULL "
            f"ELSE :t + ({h('i', 'due')} % 43200 - 14400) * interval '1 minute' END, "
            "false, NULL, "
            f":t - ({h('i', 'cr')} % 1051200) * interval '1 minute', "
            f"CASE WHEN NOT ({open_}) THEN :t - ({h('i', 'cr')} % 1051200) "
            "* interval '1 minute' + interval '3 hours' END, "
            f"CASE WHEN i % 10 > 1 THEN CASE WHEN {h('i', 'b')} % 50 = 0 THEN :me "
            f"ELSE {user(h('i', 'c'), USERS)} END END, "
            "NULL, CASE WHEN i % 10 > 1 THEN 'approve' END, 1 "
            "FROM generate_series(CAST(:a AS bigint), CAST(:b AS bigint)) i"
        ),
        {"wf": WORKFLOWS, "queues": QUEUES, "me": ME, "t": NOW, "a": start, "b": stop - 1},
    )


# -- measuring ---------------------------------------------------------------------------


def queries(db: Database) -> dict[str, Callable[[], InboxQuery]]:
    """The measured queries; page 2 uses the cursor of page 1, fetched once."""
    with db.transaction() as session:
        first = inbox(session, ACTOR, InboxQuery("queues"), now=NOW)
    cursor = first.next_cursor
    return {
        "mine": lambda: InboxQuery("mine"),
        "queues": lambda: InboxQuery("queues"),
        "overdue": lambda: InboxQuery("overdue"),
        "completed": lambda: InboxQuery("completed"),
        "queues, priority sort": lambda: InboxQuery("queues", sort="priority"),
        "filtered: workflow+state": lambda: InboxQuery("queues", workflow="permit", state="review"),
        "filtered: rare field": lambda: InboxQuery("queues", fields={"floor_area_m2": 450}),
        "filtered: common field": lambda: InboxQuery("queues", fields={"district": "North"}),
        "queues, page 2": lambda: InboxQuery("queues", cursor=cursor),
    }


def measure(
    db: Database, queries: dict[str, Callable[[], InboxQuery]], runs: int
) -> dict[str, tuple[float, float, int]]:
    """p50, p95 and page size per query; the queries take turns, round by round, so a
    burst of load elsewhere on the machine spreads over all of them."""

    def once(make: Callable[[], InboxQuery]) -> tuple[float, int]:
        started = time.perf_counter()
        with db.transaction() as session:
            page = inbox(session, ACTOR, make(), now=NOW)
        return (time.perf_counter() - started) * 1000, len(page.items)

    for _ in range(max(5, runs // 10)):  # warm caches, pool and prepared statements
        for make in queries.values():
            once(make)
    times: dict[str, list[float]] = {name: [] for name in queries}
    rows: dict[str, int] = {}
    for _ in range(runs):
        for name, make in queries.items():
            elapsed, rows[name] = once(make)
            times[name].append(elapsed)
    return {name: (statistics.median(t), p95(t), rows[name]) for name, t in times.items()}


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def naive(conn: Connection, runs: int) -> float:
    """p95 of the simple query the union replaces: ``queue IN (…)`` sorted, one page."""
    sql = text(
        "SELECT * FROM tasks WHERE status = 'open' AND queue = ANY(:q) "
        "ORDER BY due_at NULLS LAST, id LIMIT 51"
    )
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        conn.execute(sql, {"q": sorted(ACTOR.queues)}).all()
        times.append((time.perf_counter() - started) * 1000)
    return p95(times)


def explain(db: Database, query: InboxQuery) -> str:
    """The server's plan for ``query``, to show it reads index ranges."""
    with db.transaction() as session:
        statement = inbox_statement(session, ACTOR, query, now=NOW)
        assert statement is not None
        compiled = statement.compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
        rows = session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")).scalars()
        return "\n".join(rows)


def vacuum(admin_url: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM (ANALYZE) instances, instance_fields, tasks, users, memberships"))
    engine.dispose()


def report(
    size: int, db: Database, runs: int, small: dict[str, tuple[float, float, int]] | None = None
) -> dict[str, tuple[float, float, int]]:
    """Measure every query at this size. At the large size, a query whose page at the
    small size was not full is measured a second time, cut to that many rows (at
    least one): the growth target compares like with like, the same rows built and
    returned, so it measures what the table's size costs, not a fuller page."""
    measured = queries(db)
    for name, (_, _, rows) in (small or {}).items():
        if rows < PAGE:
            measured[like_for_like(name)] = cut(measured[name], max(1, rows))
    figures = measure(db, measured, runs)
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"\n{size:,} tasks — p50 / p95 in ms over {runs} runs (rows on the page); load {load}")
    for name, (p50, p95, rows) in figures.items():
        print(f"  {name:60} {p50:7.2f} {p95:7.2f}   ({rows} rows)")
    with db.engine.connect() as conn:
        naive_p95 = naive(conn, runs)
        print(f"  {'naive queue IN … ORDER BY':60}         {naive_p95:7.2f}   (SQL only)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--explain", action="store_true", help="print each query's plan at 1M")
    args = parser.parse_args()
    name = f"civicflow_bench_inbox_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    db = Database(url, pool_size=2)
    try:
        db.upgrade()
        results: dict[int, dict[str, tuple[float, float, int]]] = {}
        for start, stop in ((0, args.small), (args.small, args.large)):
            started = time.perf_counter()
            with db.engine.begin() as conn:
                if start == 0:
                    seed_static(conn)
                seed_tasks(conn, start, stop)
            vacuum(url)
            print(
                f"\nseeded tasks {start:,}..{stop - 1:,} in {time.perf_counter() - started:.0f} s"
            )
            results[stop] = report(stop, db, args.runs, results.get(args.small))
        if args.explain:
            for name, make in queries(db).items():
                print(f"\n-- {name}\n" + explain(db, make()))
        print_targets(results, args.small, args.large)
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def print_targets(results: dict[int, Any], small: int, large: int) -> None:
    print(f"\ntargets: p95 <= {TARGET_P95_MS} ms at {large:,}; p95 growth <= {TARGET_GROWTH}x")
    for name, (_, large_p95, _) in results[large].items():
        if name not in results[small]:
            continue
        same_rows = results[large].get(like_for_like(name), results[large][name])
        growth = same_rows[1] / results[small][name][1]
        growth_p50 = same_rows[0] / results[small][name][0]
        missed = [
            *(["p95"] if large_p95 > TARGET_P95_MS else []),
            *(["growth"] if growth > TARGET_GROWTH else []),
        ]
        verdict = "MISSED " + " and ".join(missed) if missed else "ok"
        print(
            f"  {name:28} p95 {large_p95:6.2f} ms   growth {growth:4.2f}x "
            f"(p50 {growth_p50:4.2f}x)   {verdict}"
        )


if __name__ == "__main__":
    main()
