from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.conftest import T0, staff
from workflow.clock import FixedClock
from workflow.engine import Engine
from workflow.errors import InvalidDataError
from workflow.inbox.query import InboxQuery
from workflow.views import InstanceView

LEAD = staff("ana@planning.example.gov", "planning/intake", leads=("planning/intake",))
CLERK = staff("dev@planning.example.gov", "planning/intake", "planning/engineers")
FINANCE = staff("fay@finance.example.gov", "finance/approvers")
WEDNESDAY = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # intake due date of a case started at T0


@pytest.fixture
def approval(
    engine: Engine, session: Session, register: Callable[[str], str]
) -> Callable[..., InstanceView]:
    """Start an approval case (intake in planning/intake, due in 2 business days)."""
    workflow = register("engine/approval")

    def _start(address: str = "1 Main St", **more: Any) -> InstanceView:
        data = {"applicant": "Jo", "address": address, **more}
        return engine.start(session, workflow=workflow, input=data, actor=LEAD)

    return _start


@pytest.fixture
def wait_case(
    engine: Engine, session: Session, register: Callable[[str], str]
) -> Callable[[], InstanceView]:
    """Start a wait-for-applicant case (a task in planning/intake without a due date)."""
    workflow = register("engine/wait")
    return lambda: engine.start(session, workflow=workflow, input={"applicant": "Jo"}, actor=LEAD)


def task_of(case: InstanceView) -> uuid.UUID:
    return case.open_tasks()[0].id


def listed(engine: Engine, session: Session, query: InboxQuery, actor=CLERK) -> list[uuid.UUID]:
    return [t.id for t in engine.inbox_page(session, actor=actor, query=query).items]


def test_workflow__lists_only_that_workflows_tasks(
    engine: Engine, session: Session, approval, wait_case
) -> None:
    approval()
    waiting = wait_case()
    query = InboxQuery("queues", workflow="wait-for-applicant")
    assert listed(engine, session, query) == [task_of(waiting)]


def test_state__lists_only_tasks_in_that_state(engine: Engine, session: Session, approval) -> None:
    reviewed = approval()
    engine.act(session, task_id=task_of(reviewed), action="accept", actor=CLERK)
    approval()
    [structural] = [
        t for t in engine.instance(session, reviewed.id).open_tasks() if t.branch == "structural"
    ]
    assert listed(engine, session, InboxQuery("queues", state="reviews")) == [structural.id]


def test_queue__lists_only_that_queue(engine: Engine, session: Session, approval) -> None:
    reviewed = approval()
    engine.act(session, task_id=task_of(reviewed), action="accept", actor=CLERK)
    approval()
    query = InboxQuery("queues", queue="planning/engineers")
    assert [t.queue for t in engine.inbox_page(session, actor=CLERK, query=query).items] == [
        "planning/engineers"
    ]


def test_due_range__is_inclusive_after_and_exclusive_before(
    engine: Engine, session: Session, clock: FixedClock, approval
) -> None:
    on_wednesday = approval()
    clock.advance(timedelta(days=1))
    approval()  # due Thursday
    query = InboxQuery("queues", due_after=WEDNESDAY, due_before=WEDNESDAY + timedelta(days=1))
    assert listed(engine, session, query) == [task_of(on_wednesday)]


def test_due_range__leaves_out_tasks_without_a_due_date(
    engine: Engine, session: Session, approval, wait_case
) -> None:
    with_due = approval()
    wait_case()
    query = InboxQuery("queues", due_before=WEDNESDAY + timedelta(days=30))
    assert listed(engine, session, query) == [task_of(with_due)]


def test_fields__match_a_text_in_the_input(engine: Engine, session: Session, approval) -> None:
    main_street = approval("1 Main St")
    approval("2 High St")
    query = InboxQuery("queues", fields={"address": "1 Main St"})
    assert listed(engine, session, query) == [task_of(main_street)]


def test_fields__all_must_match(engine: Engine, session: Session, approval) -> None:
    big = approval("1 Main St", floor_area_m2=600)
    approval("1 Main St", floor_area_m2=80)
    query = InboxQuery("queues", fields={"address": "1 Main St", "floor_area_m2": 600})
    assert listed(engine, session, query) == [task_of(big)]


def test_fields__a_number_equals_the_same_number_written_as_a_decimal(
    engine: Engine, session: Session, approval
) -> None:
    case = approval(floor_area_m2=120)
    query = InboxQuery("queues", fields={"floor_area_m2": 120.0})
    assert listed(engine, session, query) == [task_of(case)]


def test_fields__a_number_does_not_match_its_text(
    engine: Engine, session: Session, approval
) -> None:
    approval(floor_area_m2=120)
    assert listed(engine, session, InboxQuery("queues", fields={"floor_area_m2": "120"})) == []


def test_fields__match_true_and_false(
    engine: Engine, session: Session, register: Callable[[str], str]
) -> None:
    workflow = register("engine/decision")
    urgent = engine.start(
        session, workflow=workflow, input={"amount": 10, "urgent": True}, actor=FINANCE
    )
    engine.start(session, workflow=workflow, input={"amount": 10, "urgent": False}, actor=FINANCE)
    query = InboxQuery("queues", fields={"urgent": True})
    assert listed(engine, session, query, actor=FINANCE) == [task_of(urgent)]


def test_fields__match_a_text_longer_than_the_index_keeps(
    engine: Engine, session: Session, approval
) -> None:
    long = "Lot 7, " + "the old mill by the river, " * 12
    case = approval(long)
    approval(long + "annex")
    assert listed(engine, session, InboxQuery("queues", fields={"address": long})) == [
        task_of(case)
    ]


def test_fields__a_field_no_instance_has_matches_nothing(
    engine: Engine, session: Session, approval
) -> None:
    approval()
    assert listed(engine, session, InboxQuery("queues", fields={"parcel": "A-1"})) == []


def test_sort_due__earliest_first_and_no_due_date_last(
    engine: Engine, session: Session, clock: FixedClock, approval, wait_case
) -> None:
    no_due = wait_case()
    clock.advance(timedelta(days=1))
    later = approval()
    clock.set(T0)
    earlier = approval()
    expected = [task_of(earlier), task_of(later), task_of(no_due)]
    assert listed(engine, session, InboxQuery("queues", sort="due")) == expected


def test_sort_created__oldest_first(
    engine: Engine, session: Session, clock: FixedClock, approval, wait_case
) -> None:
    first = approval()
    clock.advance(timedelta(minutes=1))
    second = wait_case()
    clock.advance(timedelta(minutes=1))
    third = approval()
    expected = [task_of(first), task_of(second), task_of(third)]
    assert listed(engine, session, InboxQuery("queues", sort="created")) == expected


def test_sort_priority__highest_first_then_by_due_date(
    engine: Engine, session: Session, clock: FixedClock, approval
) -> None:
    low = approval()
    clock.advance(timedelta(days=1))
    urgent, normal_later = approval(), approval()
    clock.set(T0)
    normal_earlier = approval()
    engine.prioritize(session, task_id=task_of(urgent), priority=5, actor=LEAD)
    engine.prioritize(session, task_id=task_of(low), priority=-1, actor=LEAD)
    expected = [task_of(c) for c in (urgent, normal_earlier, normal_later, low)]
    assert listed(engine, session, InboxQuery("queues", sort="priority")) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sort": "title"}, "use due, created or priority"),
        ({"limit": 0}, "from 1 to 200"),
        ({"limit": 201}, "from 1 to 200"),
        ({"due_after": WEDNESDAY, "due_before": WEDNESDAY}, "earlier than due_before"),
        ({"due_before": datetime(2026, 3, 4)}, "timezone-aware"),
        ({"fields": {"address": None}}, "a text, a number or true/false"),
        ({"fields": {"a.b": "x"}}, "letters, digits"),
        ({"workflow": ""}, "non-empty text"),
    ],
)
def test_query__bad_parameters_are_refused_with_what_is_valid(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidDataError, match=message):
        InboxQuery("queues", **options)


def test_fields__a_nul_character_in_a_filter_matches_nothing_and_fails_nothing(
    engine: Engine, session: Session, approval
) -> None:
    approval("1 Main St")
    query = InboxQuery("queues", fields={"address": "1 Main St\x00"})
    assert listed(engine, session, query) == []
