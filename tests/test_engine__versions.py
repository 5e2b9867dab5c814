from __future__ import annotations

from sqlalchemy.orm import Session

from tests.conftest import read, staff
from workflow.engine import Engine

CLERK = staff("ana@planning.example.gov", "planning/intake")
INPUT = {"applicant": "Jo", "address": "1 Main St"}


def _v2() -> str:
    # the owner renames the intake action: a new version of the same workflow
    return read("engine/approval").replace("accept: reviews", "complete: reviews")


def test_register__same_content_keeps_its_version(engine: Engine, session: Session) -> None:
    first = engine.register(session, read("engine/approval"))
    again = engine.register(session, read("engine/approval"))
    assert (first.version, first.created) == (1, True)
    assert (again.version, again.created, again.id) == (1, False, first.id)


def test_register__changed_content_is_the_next_version(engine: Engine, session: Session) -> None:
    engine.register(session, read("engine/approval"))
    second = engine.register(session, _v2())
    assert (second.key, second.version) == ("approval", 2)


def test_running_instances_stay_on_the_version_they_started_on(
    engine: Engine, session: Session
) -> None:
    engine.register(session, read("engine/approval"))
    old = engine.start(session, workflow="approval", input=INPUT, actor=CLERK)
    engine.register(session, _v2())
    new = engine.start(session, workflow="approval", input=INPUT, actor=CLERK)
    assert (old.definition_version, new.definition_version) == (1, 2)
    assert old.open_tasks()[0].actions == ("accept", "reject")
    assert new.open_tasks()[0].actions == ("complete", "reject")
    view = engine.act(session, task_id=old.open_tasks()[0].id, action="accept", actor=CLERK)
    assert view.state == "reviews"


def test_a_fresh_engine_reloads_the_pinned_version_from_the_database(
    engine: Engine, session: Session, clock
) -> None:
    engine.register(session, read("engine/approval"))
    old = engine.start(session, workflow="approval", input=INPUT, actor=CLERK)
    engine.register(session, _v2())
    restarted = Engine(clock=clock)  # a new process: empty caches
    view = restarted.act(session, task_id=old.open_tasks()[0].id, action="accept", actor=CLERK)
    assert view.state == "reviews"
