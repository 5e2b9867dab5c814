"""Only the unique keys that catch a lost race become ``ConflictError``; every other
integrity error surfaces as the bug it is.

Each case writes a real row that the database refuses, inside the same wrapper every
engine command runs in (``conflicts``), on SQLite and on PostgreSQL: the two word
their errors differently (PostgreSQL names the constraint, SQLite its columns).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.conftest import read, staff
from workflow.actors import Actor
from workflow.engine import Engine
from workflow.engine.base import conflicts
from workflow.errors import ConflictError
from workflow.store.constraints import RACE_CONSTRAINTS, violated_key
from workflow.store.database import Database
from workflow.store.models import Base
from workflow.views import InstanceView

CLERK = staff("ana@planning.example.gov", "planning/intake")
INPUT = {"applicant": "Jo Doe", "address": "1 Main St"}


@pytest.fixture
def started(engine: Engine, session: Session, register: Callable[[str], str]) -> InstanceView:
    """A definition, an instance with a business key, their audit records and the
    instance's indexed input fields: one row of every table a race can touch."""
    workflow = register("engine/approval")
    return engine.start(session, workflow=workflow, input=INPUT, actor=CLERK, business_key="K-1")


def _copy(table: str, *, drop: tuple[str, ...] = (), **changes: Any) -> Callable[[Session], None]:
    """Insert a copy of the table's first row, with ``changes`` and without ``drop``."""

    def write(session: Session) -> None:
        rows = Base.metadata.tables[table]
        row = dict(session.execute(select(rows).limit(1)).mappings().one())
        values = {k: v for k, v in row.items() if k not in drop} | changes
        session.execute(insert(rows).values(values))

    return write


RACES = {
    "uq_definitions_key_version": _copy("definitions", drop=("id",), content_hash="f" * 64),
    "uq_definitions_key_content_hash": _copy("definitions", drop=("id",), version=99),
    "uq_instances_workflow_key_business_key": _copy("instances", id=uuid.uuid4()),
    "uq_audit_events_stream_seq": _copy("audit_events", drop=("id",)),
    "pk_audit_streams": _copy("audit_streams"),
}

BUGS = {
    "a unique key no race reaches": _copy("instance_fields"),
    "a foreign key": _copy("instance_fields", instance_id=uuid.uuid4()),
    "a NOT NULL column": _copy("instances", id=uuid.uuid4(), business_key=None, state=None),
}


def test_the_cases__cover_every_race_key() -> None:
    assert set(RACES) == RACE_CONSTRAINTS


@pytest.mark.parametrize("key", sorted(RACES))
def test_a_race_key_taken_meanwhile__is_a_conflict(
    session: Session, started: InstanceView, key: str
) -> None:
    with pytest.raises(ConflictError, match="lost the race") as caught, conflicts("lost the race"):
        RACES[key](session)
    cause = caught.value.__cause__
    assert isinstance(cause, IntegrityError)
    assert violated_key(cause) == key


@pytest.mark.parametrize("case", sorted(BUGS))
def test_any_other_integrity_error__propagates(
    session: Session, started: InstanceView, case: str
) -> None:
    with pytest.raises(IntegrityError) as caught, conflicts("lost the race"):
        BUGS[case](session)
    assert not isinstance(caught.value, ConflictError)
    assert violated_key(caught.value) not in RACE_CONSTRAINTS


def test_a_command_writing_a_null__raises_the_integrity_error(
    engine: Engine, session: Session
) -> None:
    """``register`` conflicts on a lost race; an actor without an id is no race."""
    nobody = Actor(id=None, idp="test-idp")  # type: ignore[arg-type]  # the bug under test
    with pytest.raises(IntegrityError, match="registered_by"):
        engine.register(session, read("engine/approval"), actor=nobody)


def _waiting_on_a_lock(db: Database) -> bool:
    with db.engine.connect() as connection:
        waiting = connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


def test_two_starts_with_one_business_key__the_second_conflicts(
    engine: Engine, committed: Database
) -> None:
    """The second start passes the business-key check while the first is uncommitted.
    On PostgreSQL its INSERT then waits on the unique key and fails on it when the
    first commits; SQLite queues the whole second transaction, whose check then sees
    the first instance."""
    with committed.transaction() as session:
        engine.register(session, read("engine/approval"))
    written, release = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def start(name: str) -> None:
        try:
            with committed.transaction() as session:
                results[name] = engine.start(
                    session, workflow="approval", input=INPUT, actor=CLERK, business_key="K-1"
                )
                if name == "first":
                    written.set()
                    release.wait(30)
        except Exception as error:  # the test inspects what each start got
            results[name] = error

    first = threading.Thread(target=start, args=("first",))
    second = threading.Thread(target=start, args=("second",))
    first.start()
    assert written.wait(30)
    second.start()
    if committed.dialect == "postgresql":
        deadline = time.monotonic() + 30
        while not _waiting_on_a_lock(committed) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _waiting_on_a_lock(committed), "the second start never reached the unique key"
    else:
        time.sleep(0.2)  # let it queue for SQLite's write lock
    release.set()
    first.join(60)
    second.join(60)
    assert isinstance(results["first"], InstanceView)
    loser = results["second"]
    assert isinstance(loser, ConflictError), loser
    if committed.dialect == "postgresql":
        assert isinstance(loser.__cause__, IntegrityError)
        assert violated_key(loser.__cause__) == "uq_instances_workflow_key_business_key"
