from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.conftest import staff
from workflow.actors import Actor
from workflow.clock import FixedClock
from workflow.engine import Engine
from workflow.errors import InvalidDataError
from workflow.inbox import query as inbox
from workflow.inbox.query import InboxPage, InboxQuery
from workflow.views import TaskView

LEAD = staff("ana@planning.example.gov", "planning/intake", leads=("planning/intake",))
CLERK = staff("ben@planning.example.gov", "planning/intake")
LAST = datetime.max.replace(tzinfo=UTC)


@pytest.fixture
def tasks(
    engine: Engine, session: Session, clock: FixedClock, register: Callable[[str], str]
) -> list[TaskView]:
    """24 open tasks in planning/intake, full of ties: 10 started at one instant (same
    due date, same creation time), 6 an hour later, 8 without a due date; a few
    prioritized up and down."""
    approval, wait = register("engine/approval"), register("engine/wait")
    started = []
    for count, workflow, step in ((10, approval, 0), (6, approval, 1), (8, wait, 2)):
        clock.advance(timedelta(hours=step))
        for _ in range(count):
            case = engine.start(
                session,
                workflow=workflow,
                input={"applicant": "Jo", "address": "1 A St"},
                actor=LEAD,
            )
            started.append(case.open_tasks()[0])
    for task, priority in zip(started[::5], (3, 3, -2, 0, 7), strict=True):
        engine.prioritize(session, task_id=task.id, priority=priority, actor=LEAD)
    page = engine.inbox_page(session, actor=CLERK, query=InboxQuery("queues", limit=200))
    return page.items


def walk(
    engine: Engine, session: Session, query: InboxQuery, actor: Actor = CLERK
) -> list[uuid.UUID]:
    """Every page of ``query``, following next_cursor."""
    seen: list[uuid.UUID] = []
    cursor = query.cursor
    while True:
        page = engine.inbox_page(session, actor=actor, query=_with(query, cursor))
        seen += [t.id for t in page.items]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def _with(query: InboxQuery, cursor: str | None) -> InboxQuery:
    return dataclasses.replace(query, cursor=cursor)


def expected(tasks: list[TaskView], sort: str) -> list[uuid.UUID]:
    """The documented order: the sort key (no due date last), then the id."""

    def due(t: TaskView) -> tuple[bool, datetime]:
        return (t.due_at is None, t.due_at or LAST)

    keys: dict[str, Callable[[TaskView], tuple[object, ...]]] = {
        "due": lambda t: (*due(t), t.id.hex),
        "created": lambda t: (t.created_at, t.id.hex),
        "priority": lambda t: (-t.priority, *due(t), t.id.hex),
    }
    return [t.id for t in sorted(tasks, key=keys[sort])]


@pytest.mark.parametrize("sort", ["due", "created", "priority"])
@pytest.mark.parametrize("limit", [1, 5, 7])
def test_walk__every_task_once_in_the_documented_order(
    engine: Engine, session: Session, tasks: list[TaskView], sort: str, limit: int
) -> None:
    walked = walk(engine, session, InboxQuery("queues", sort=sort, limit=limit))
    assert walked == expected(tasks, sort)


def test_walk__the_last_page_has_no_cursor(
    engine: Engine, session: Session, tasks: list[TaskView]
) -> None:
    page = engine.inbox_page(session, actor=CLERK, query=InboxQuery("queues", limit=24))
    assert (len(page.items), page.next_cursor) == (24, None)


def test_walk__a_task_completed_between_pages_shifts_nothing(
    engine: Engine, session: Session, tasks: list[TaskView]
) -> None:
    first = engine.inbox_page(session, actor=CLERK, query=InboxQuery("queues", limit=5))
    engine.act(session, task_id=first.items[0].id, action="reject", actor=CLERK)
    rest = walk(engine, session, _with(InboxQuery("queues", limit=5), first.next_cursor))
    assert [t.id for t in first.items] + rest == expected(tasks, "due")


def test_walk__completed_tasks_with_the_same_completion_time(
    engine: Engine, session: Session, tasks: list[TaskView]
) -> None:
    done = [t for t in tasks if t.due_at is not None][:9]
    for task in done:  # the clock stands still: every one completed at the same instant
        engine.act(session, task_id=task.id, action="reject", actor=CLERK)
    walked = walk(engine, session, InboxQuery("completed", limit=2))
    assert sorted(walked, key=lambda i: i.hex, reverse=True) == walked
    assert set(walked) == {t.id for t in done}


def first_cursor(engine: Engine, session: Session, **options: object) -> str:
    page = engine.inbox_page(session, actor=CLERK, query=InboxQuery("queues", limit=3, **options))
    assert page.next_cursor is not None
    return page.next_cursor


@pytest.mark.parametrize("cursor", ["not-a-cursor", "", "e30", "W10", "eyJrIjpbMV0sImMiOiJ4In0"])
def test_cursor__a_malformed_one_is_refused(
    engine: Engine, session: Session, tasks: list[TaskView], cursor: str
) -> None:
    with pytest.raises(InvalidDataError, match="malformed cursor"):
        engine.inbox_page(session, actor=CLERK, query=InboxQuery("queues", cursor=cursor))


def test_cursor__an_edited_one_is_refused(
    engine: Engine, session: Session, tasks: list[TaskView]
) -> None:
    cursor = first_cursor(engine, session)
    body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    body["k"][-1] = str(uuid.UUID(int=0))
    edited = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    with pytest.raises(InvalidDataError, match=r"different query .* or was edited"):
        engine.inbox_page(session, actor=CLERK, query=InboxQuery("queues", cursor=edited))


def test_cursor__one_from_another_sort_is_refused(
    engine: Engine, session: Session, tasks: list[TaskView]
) -> None:
    cursor = first_cursor(engine, session, sort="created")
    with pytest.raises(InvalidDataError, match="different query"):
        engine.inbox_page(session, actor=CLERK, query=InboxQuery("queues", cursor=cursor))


def test_cursor__one_from_other_filters_is_refused(
    engine: Engine, session: Session, tasks: list[TaskView]
) -> None:
    cursor = first_cursor(engine, session)
    query = InboxQuery("queues", workflow="approval", cursor=cursor)
    with pytest.raises(InvalidDataError, match="different query"):
        engine.inbox_page(session, actor=CLERK, query=query)


def test_cursor__pages_of_any_size_continue_the_same_walk(
    engine: Engine, session: Session, tasks: list[TaskView]
) -> None:
    page: InboxPage = engine.inbox_page(session, actor=CLERK, query=InboxQuery("queues", limit=4))
    rest = walk(engine, session, _with(InboxQuery("queues", limit=9), page.next_cursor))
    assert [t.id for t in page.items] + rest == expected(tasks, "due")


@pytest.mark.parametrize("few_instances", [inbox.FEW_INSTANCES, 1], ids=["from-instances", "walk"])
@pytest.mark.parametrize("sort", ["due", "created", "priority"])
def test_walk__a_field_filter_pages_through_every_match_once_in_order(
    engine: Engine,
    session: Session,
    tasks: list[TaskView],
    sort: str,
    few_instances: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both plans for a field filter (start from the few matching instances, or walk
    each branch and probe the field index) list the same pages."""
    monkeypatch.setattr(inbox, "FEW_INSTANCES", few_instances)
    query = InboxQuery("queues", sort=sort, limit=5, fields={"address": "1 A St"})
    planned = inbox._plan(session, CLERK, query, engine.clock.now())
    assert planned is not None and planned[0].by_instances == (few_instances > 24)
    assert walk(engine, session, query) == expected(tasks, sort)
