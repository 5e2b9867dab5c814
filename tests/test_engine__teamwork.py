from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import DATA, T0
from workflow.actors import SYSTEM, Actor
from workflow.engine import Engine
from workflow.errors import ConflictError, ForbiddenError, InvalidDataError
from workflow.people.directory import load_directory
from workflow.people.registry import People
from workflow.store.files import AttachmentStore
from workflow.store.models import NotificationRow
from workflow.views import InstanceView, TaskView

ANA = "ana.ortiz@planning.example.gov"  # lead of planning/intake
BEN = "ben.okafor@planning.example.gov"
CLEO = "cleo.park@legal.example.gov"
DEV = "dev.rao@planning.example.gov"


@pytest.fixture
def people(session: Session) -> People:
    people = People(session)
    people.import_directory(load_directory(DATA / "directory" / "small.yaml"), now=T0, actor=SYSTEM)
    return people


def actor(people: People, email: str) -> Actor:
    return people.actor(email, idp="test-idp")


@pytest.fixture
def case(engine: Engine, session: Session, register, people: People) -> InstanceView:
    return engine.start(
        session,
        workflow=register("engine/approval"),
        input={"applicant": "Jo", "address": "1 Main St"},
        actor=actor(people, ANA),
    )


def intake(case: InstanceView) -> TaskView:
    return case.open_tasks()[0]


def _notes(session: Session, recipient: str) -> list[str]:
    return list(
        session.scalars(select(NotificationRow.kind).where(NotificationRow.recipient == recipient))
    )


def test_assign__a_lead_assigns_to_a_member(
    engine: Engine, session: Session, people: People, case
) -> None:
    task = engine.assign(session, task_id=intake(case).id, assignee=BEN, actor=actor(people, ANA))
    assert task.assignee == BEN
    assert _notes(session, BEN) == ["task.assigned"]


def test_assign__only_a_lead_may_assign(
    engine: Engine, session: Session, people: People, case
) -> None:
    with pytest.raises(ForbiddenError, match="only a lead"):
        engine.assign(session, task_id=intake(case).id, assignee=DEV, actor=actor(people, BEN))


def test_assign__only_to_a_member_of_the_queue(
    engine: Engine, session: Session, people: People, case
) -> None:
    with pytest.raises(InvalidDataError, match="not a member"):
        engine.assign(session, task_id=intake(case).id, assignee=CLEO, actor=actor(people, ANA))


def test_delegate__the_delegate_acts_on_behalf_of_the_assignee(
    engine: Engine, session: Session, people: People, case
) -> None:
    engine.claim(session, task_id=intake(case).id, actor=actor(people, BEN))
    engine.delegate(session, task_id=intake(case).id, to=DEV, actor=actor(people, BEN))
    view = engine.act(session, task_id=intake(case).id, action="accept", actor=actor(people, DEV))
    entry = engine.instance(session, view.id).history[-1]
    assert (entry.actor, entry.on_behalf_of, entry.action) == (DEV, BEN, "task.completed")


def test_delegate__needs_a_claimed_task(
    engine: Engine, session: Session, people: People, case
) -> None:
    with pytest.raises(ConflictError, match="claim or assign"):
        engine.delegate(session, task_id=intake(case).id, to=CLEO, actor=actor(people, BEN))


def test_delegate__to_an_unknown_person_is_refused(
    engine: Engine, session: Session, people: People, case
) -> None:
    engine.claim(session, task_id=intake(case).id, actor=actor(people, BEN))
    with pytest.raises(InvalidDataError, match="not a known person"):
        engine.delegate(
            session, task_id=intake(case).id, to="x@nowhere.gov", actor=actor(people, BEN)
        )


def test_substitute__acts_on_tasks_assigned_to_the_absent_person(
    engine: Engine, session: Session, people: People, case
) -> None:
    engine.claim(session, task_id=intake(case).id, actor=actor(people, BEN))
    people.set_substitute(
        user=BEN,
        substitute=CLEO,
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 6),
        actor=actor(people, BEN),
        now=T0,
    )
    engine.act(session, task_id=intake(case).id, action="accept", actor=actor(people, CLEO))
    entry = engine.instance(session, case.id).history[-1]
    assert (entry.actor, entry.on_behalf_of) == (CLEO, BEN)


def test_substitute__not_outside_the_absence(
    engine: Engine, session: Session, people: People, case, clock
) -> None:
    engine.claim(session, task_id=intake(case).id, actor=actor(people, BEN))
    people.set_substitute(
        user=BEN,
        substitute=CLEO,
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 6),
        actor=actor(people, BEN),
        now=T0,
    )
    clock.advance(timedelta(days=7))
    with pytest.raises(ForbiddenError, match="claimed by"):
        engine.act(session, task_id=intake(case).id, action="accept", actor=actor(people, CLEO))


def test_substitute__assignments_notify_the_substitute(
    engine: Engine, session: Session, people: People, case
) -> None:
    people.set_substitute(
        user=BEN,
        substitute=DEV,
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 6),
        actor=actor(people, BEN),
        now=T0,
    )
    engine.assign(session, task_id=intake(case).id, assignee=BEN, actor=actor(people, ANA))
    assert (_notes(session, DEV), _notes(session, BEN)) == (["task.assigned"], [])


def test_substitute__an_absence_that_ends_before_it_starts_is_refused(people: People) -> None:
    with pytest.raises(InvalidDataError, match="ends before it starts"):
        people.set_substitute(
            user=BEN,
            substitute=CLEO,
            starts_on=date(2026, 3, 6),
            ends_on=date(2026, 3, 1),
            actor=SYSTEM,
            now=T0,
        )


def test_priority__a_lead_sets_it(engine: Engine, session: Session, people: People, case) -> None:
    assert (
        engine.prioritize(
            session, task_id=intake(case).id, priority=5, actor=actor(people, ANA)
        ).priority
        == 5
    )


def test_comment__records_mentions_and_notifies_them(
    engine: Engine, session: Session, people: People, case
) -> None:
    comment = engine.comment(
        session,
        instance_id=case.id,
        task_id=intake(case).id,
        actor=actor(people, BEN),
        body=f"@{ANA} please check the site plan; cc @nobody@nowhere.gov",
    )
    assert comment.mentions == (ANA,)
    assert _notes(session, ANA) == ["comment.mention"]
    assert engine.instance(session, case.id).history[-1].action == "comment.added"


def test_comment__from_someone_not_on_the_case_is_forbidden(
    engine: Engine, session: Session, people: People, case
) -> None:
    with pytest.raises(ForbiddenError, match="working on this case"):
        engine.comment(session, instance_id=case.id, body="hello", actor=actor(people, CLEO))


def test_attach__stores_by_content_hash(
    engine: Engine, session: Session, people: People, case, tmp_path: Path
) -> None:
    files = AttachmentStore(tmp_path)
    pdf = b"%PDF-1.7 site plan"
    first = engine.attach(
        session,
        instance_id=case.id,
        filename="plan.pdf",
        content_type="application/pdf",
        content=pdf,
        files=files,
        actor=actor(people, BEN),
    )
    second = engine.attach(
        session,
        instance_id=case.id,
        filename="copy.pdf",
        content_type="application/pdf",
        content=pdf,
        files=files,
        actor=actor(people, BEN),
    )
    assert first.sha256 == second.sha256
    assert files.read(first.sha256) == pdf
    assert len(list(tmp_path.rglob("*"))) == 3  # ab/, ab/cd/, the file


@pytest.mark.parametrize(
    ("filename", "content_type", "content", "message"),
    [
        ("page.html", "text/html", b"<html></html>", "not accepted"),
        ("notes.txt", "text/plain", b"<script>alert(1)</script>", "markup"),
        ("plan.pdf", "application/pdf", b"MZ\x90\x00", "not really"),
        ("plan.png", "application/pdf", b"%PDF-1.7", "does not look like"),
        ("big.pdf", "application/pdf", b"%PDF-" + b"x" * 2000, "limit"),
    ],
)
def test_attach__refuses_unsafe_or_oversized_files(
    engine: Engine,
    session: Session,
    people: People,
    case,
    tmp_path: Path,
    filename,
    content_type,
    content,
    message,
) -> None:
    files = AttachmentStore(tmp_path, max_bytes=1000)
    with pytest.raises(InvalidDataError, match=message):
        engine.attach(
            session,
            instance_id=case.id,
            filename=filename,
            content_type=content_type,
            content=content,
            files=files,
            actor=actor(people, BEN),
        )
    assert list(tmp_path.iterdir()) == []
