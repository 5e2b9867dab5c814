"""The inbox's plan on PostgreSQL: index ranges, never a scan of the tasks table.

Latency at scale is measured by ``bench/inbox.py``; this test pins the property that
makes it hold, on a table large enough (a few thousand rows, analysed) for the
planner to prefer an index only where one really serves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import staff
from workflow.inbox.query import InboxQuery, inbox, inbox_statement
from workflow.store.database import Database
from workflow.store.models import DefinitionRow

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database", ["postgresql"], indirect=True),
]

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
QUEUES = [f"dept/group{n}" for n in range(10)]
CLERK = staff("clerk@city.example.gov", *QUEUES[:3])


@pytest.fixture
def seeded(database: Database, session: Session) -> Session:
    """5,000 tasks over 10 queues, a fifth of them open, two per instance; analysed.
    Each instance's input is ``{"n": its number}``, indexed as the engine would."""
    definition = DefinitionRow(
        key="plan",
        version=1,
        content_hash="0" * 64,
        title="Plan",
        source="",
        source_path="plan.yaml",
        registered_at=NOW,
        registered_by="test",
    )
    session.add(definition)
    session.flush()
    session.execute(
        text(
            "INSERT INTO instances (id, definition_id, workflow_key, state, status, input, data, "
            "outcomes, created_at, updated_at, created_by, audit_seq, version) "
            "SELECT md5('i' || n)::uuid, :d, 'plan', 'review', 'running', "
            "json_build_object('n', n), '{}', '{}', :now, :now, 'test', 0, 1 "
            "FROM generate_series(0, 2499) n"
        ),
        {"d": definition.id, "now": NOW},
    )
    session.execute(
        text(
            "INSERT INTO tasks (id, instance_id, workflow_key, state, title, queue, actions, "
            "status, priority, due_at, overdue, created_at, completed_at, completed_by, version) "
            "SELECT md5('t' || i)::uuid, md5('i' || (i / 2))::uuid, 'plan', 'review', 'T', "
            "(CAST(:queues AS text[]))[1 + i % 10], '[]', "
            "CASE WHEN i % 5 = 0 THEN 'open' ELSE 'completed' END, 0, "
            "CASE WHEN i % 7 = 0 THEN NULL ELSE :now + (i % 97) * interval '1 hour' END, "
            "false, :now - i * interval '1 minute', "
            "CASE WHEN i % 5 = 0 THEN NULL ELSE :now END, "
            "CASE WHEN i % 5 = 0 THEN NULL ELSE 'someone@city.example.gov' END, 1 "
            "FROM generate_series(0, 4999) i"
        ),
        {"queues": QUEUES, "now": NOW},
    )
    session.execute(
        text(
            "INSERT INTO instance_fields (name, value, instance_id) "
            "SELECT 'n', 'n:' || n, md5('i' || n)::uuid FROM generate_series(0, 2499) n"
        )
    )
    session.execute(text("ANALYZE instances, tasks, instance_fields"))
    return session


def plan(session: Session, query: InboxQuery) -> str:
    statement = inbox_statement(session, CLERK, query, now=NOW)
    assert statement is not None
    sql = statement.compile(bind=session.get_bind(), compile_kwargs={"literal_binds": True})
    return "\n".join(session.execute(text(f"EXPLAIN {sql}")).scalars())


def test_plan__the_queues_view_reads_index_ranges(seeded: Session) -> None:
    explained = plan(seeded, InboxQuery("queues"))
    assert "ix_tasks_open_queue_due" in explained
    assert "Seq Scan on tasks" not in explained


def test_plan__the_next_page_reads_index_ranges(seeded: Session) -> None:
    first = inbox(seeded, CLERK, InboxQuery("queues", limit=20), now=NOW)
    explained = plan(seeded, InboxQuery("queues", limit=20, cursor=first.next_cursor))
    assert "ix_tasks_open_queue_due" in explained
    assert "Seq Scan on tasks" not in explained


def test_plan__a_business_field_filter_reads_the_field_index(seeded: Session) -> None:
    explained = plan(seeded, InboxQuery("queues", fields={"n": 1234}))
    assert "pk_instance_fields" in explained
    assert "Seq Scan" not in explained


def test_plan__a_business_field_filter_finds_its_tasks(seeded: Session) -> None:
    # instance 1235 has tasks 2470 (open, in the clerk's queue 0) and 2471 (completed)
    page = inbox(seeded, CLERK, InboxQuery("queues", fields={"n": 1235}), now=NOW)
    assert [(t.queue, t.status) for t in page.items] == [(QUEUES[0], "open")]
