"""Every outbox event the engine writes matches its documented JSON Schema.

Real workflows run through the engine — the example definitions walked the way
``civicflow demo`` walks them (demo/cases.yaml), plus a case that is claimed,
released, assigned, delegated, prioritised, reminded, escalated, made overdue, timed
out and cancelled — and every outbox row written is read back and validated. An event
whose kind has no schema fails the test, as does a kind the walk never produces.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import T0, read
from workflow import (
    EVENT_TYPES,
    SYSTEM,
    Actor,
    Engine,
    FixedClock,
    InstanceView,
    People,
    TaskView,
    compile_definition,
    event_schemas,
    load_directory,
)
from workflow.store.models import JobRow, OutboxRow

ROOT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load((ROOT / "demo" / "cases.yaml").read_text(encoding="utf-8"))
DEFINITIONS = ["building-permit", "procurement", "foi-request", "engine/approval", "engine/wait"]
ANA = "ana.ortiz@planning.example.gov"  # lead of planning/intake
BEN = "ben.okafor@planning.example.gov"
PERMIT_INPUT = CASES["building-permit"]["input"]


@pytest.fixture
def people(session: Session) -> People:
    people = People(session)
    people.import_directory(load_directory(ROOT / "demo" / "directory.yaml"), now=T0, actor=SYSTEM)
    return people


@pytest.fixture
def emitted_names() -> set[str]:
    """The names the registered definitions may emit (their final states' ``emit:``)."""
    specs = [compile_definition(read(name)) for name in DEFINITIONS]
    return {s.emit for spec in specs for s in spec.states.values() if s.emit}


@pytest.fixture
def events(
    engine: Engine, session: Session, people: People, clock: FixedClock
) -> list[dict[str, Any]]:
    """Every event the walk below wrote to the outbox, in order."""
    for name in DEFINITIONS:
        engine.register(session, read(name), path=f"{name}.yaml")
    for workflow in ("building-permit", "procurement", "foi-request"):
        _walk(engine, session, people, workflow)
    _teamwork_and_timers(engine, session, people, clock)
    _wait_and_signal(engine, session)
    rows = session.scalars(select(OutboxRow).order_by(OutboxRow.id))
    return [event for row in rows for event in row.events]


def _actor(people: People, email: str) -> Actor:
    return people.actor(email, idp="test-idp", mfa=True)


def _walk(engine: Engine, session: Session, people: People, workflow: str) -> None:
    case = CASES[workflow]
    view = engine.start(
        session,
        workflow=workflow,
        input=case["input"],
        actor=_actor(people, case["started_by"]),
    )
    acted = {case["started_by"]}
    for _ in range(20):
        if view.status != "running":
            return
        task = view.open_tasks()[0]
        members = people.members_of(task.queue)
        email = next(m for m in members if m not in acted)
        acted.add(email)
        step = case["steps"].get(task.branch or task.state, {})
        engine.claim(session, task_id=task.id, actor=_actor(people, email))
        view = engine.act(
            session,
            task_id=task.id,
            action=step.get("action", task.actions[0]),
            actor=_actor(people, email),
            data=step.get("data"),
        )
    raise AssertionError(f"{workflow} did not finish")


def _teamwork_and_timers(
    engine: Engine, session: Session, people: People, clock: FixedClock
) -> None:
    view = engine.start(
        session, workflow="building-permit", input=PERMIT_INPUT, actor=_actor(people, BEN)
    )
    intake = _task(view, "intake")
    ana, ben = _actor(people, ANA), _actor(people, BEN)
    engine.claim(session, task_id=intake.id, actor=ben)
    engine.unclaim(session, task_id=intake.id, actor=ben)
    engine.assign(session, task_id=intake.id, assignee=BEN, actor=ana)
    engine.delegate(session, task_id=intake.id, to=ANA, actor=ben)
    engine.prioritize(session, task_id=intake.id, priority=5, actor=ana)
    _fire_timers(engine, session, clock, view.id)  # remind, overdue, escalate; then timeout
    second = engine.start(
        session, workflow="building-permit", input=PERMIT_INPUT, actor=_actor(people, BEN)
    )
    engine.cancel(session, instance_id=second.id, actor=ana, reason="withdrawn by phone")
    third = engine.start(
        session, workflow="building-permit", input=PERMIT_INPUT, actor=_actor(people, BEN)
    )
    engine.act(session, task_id=_task(third, "intake").id, action="request_info", actor=ana)
    _fire_timers(engine, session, clock, third.id)  # the wait times out: withdrawn


def _wait_and_signal(engine: Engine, session: Session) -> None:
    view = engine.start(session, workflow="wait-for-applicant", input={}, actor=SYSTEM)
    for _ in range(5):
        if view.status != "running":
            return
        tasks = view.open_tasks()
        if tasks:
            actor = Actor(
                id=f"{uuid.uuid4().hex}@city.example.gov", queues=frozenset({tasks[0].queue})
            )
            view = engine.act(session, task_id=tasks[0].id, action=tasks[0].actions[0], actor=actor)
        else:
            spec = compile_definition(read("engine/wait")).states[view.state]
            view = engine.signal(
                session, instance_id=view.id, event=next(iter(spec.on)), actor=SYSTEM
            )
    raise AssertionError("the wait workflow did not finish")


def _task(view: InstanceView, state: str) -> TaskView:
    return next(t for t in view.open_tasks() if t.state == state)


def _fire_timers(engine: Engine, session: Session, clock: FixedClock, instance: uuid.UUID) -> None:
    """Run the instance's pending timers in due order, as the worker would."""
    for job in _pending(session, instance):
        if job.due_at > clock.now():
            clock.advance(job.due_at - clock.now())
        engine.run_timer(
            session,
            kind=job.kind,
            instance_id=job.instance_id,
            task_id=job.task_id,
            payload=job.payload,
        )


def _pending(session: Session, instance: uuid.UUID) -> Iterator[JobRow]:
    query = select(JobRow).where(JobRow.instance_id == instance, JobRow.status == "pending")
    yield from session.scalars(query.order_by(JobRow.due_at, JobRow.id)).all()


def test_events__each_validates_against_its_documented_schema(
    events: list[dict[str, Any]], emitted_names: set[str]
) -> None:
    schemas = event_schemas()
    checker = Draft202012Validator.FORMAT_CHECKER
    assert {"uuid", "date-time"} <= set(checker.checkers)  # else formats go unchecked
    for event in events:
        kind = event.get("type")
        if kind in EVENT_TYPES:
            schema = schemas[kind]
        elif kind in emitted_names:
            schema = schemas["<emitted>"]
        else:
            pytest.fail(f"the engine wrote an event of kind {kind!r}, which has no schema")
        validator = Draft202012Validator(schema, format_checker=checker)
        problems = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(event)]
        assert not problems, f"{kind}: {problems}\n{json.dumps(event, indent=2)}"


def test_events__the_walk_writes_every_kind(
    events: list[dict[str, Any]], emitted_names: set[str]
) -> None:
    written = {event["type"] for event in events}
    assert set(EVENT_TYPES) - written == set()
    assert written & emitted_names


def test_events__every_schema_is_a_valid_schema() -> None:
    for schema in event_schemas().values():
        Draft202012Validator.check_schema(schema)


def test_events__the_docs_show_every_schema_as_generated() -> None:
    """docs/events.md carries each schema verbatim (``scripts/events_doc.py`` rewrites it)."""
    doc = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)\n```", doc, flags=re.DOTALL)
    documented = {json.loads(block)["title"]: json.loads(block) for block in blocks}
    assert documented == event_schemas()


def test_events__a_task_change_carries_the_version_stored(
    engine: Engine, session: Session, people: People
) -> None:
    """A client keeps the event's ``task.version`` as its ``expected_version``."""
    engine.register(session, read("building-permit"), path="building-permit.yaml")
    view = engine.start(
        session, workflow="building-permit", input=PERMIT_INPUT, actor=_actor(people, BEN)
    )
    claimed = engine.claim(session, task_id=_task(view, "intake").id, actor=_actor(people, BEN))
    last = session.scalars(select(OutboxRow).order_by(OutboxRow.id.desc())).first()
    assert last is not None
    assert [(e["type"], e["task"]["version"]) for e in last.events] == [
        ("task.claimed", claimed.version)
    ]
    assert claimed.version == 2
