"""Text is bounded to what its column stores, the same on SQLite and PostgreSQL:
text made from data (task titles, notification subjects) is cut with an ellipsis,
text a caller names (business key, path, comment, file name) is refused clearly."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import staff
from workflow.engine import Engine
from workflow.errors import InvalidDataError
from workflow.limits import MAX_BUSINESS_KEY, MAX_PATH, MAX_SUBJECT, MAX_TITLE
from workflow.store.files import AttachmentStore
from workflow.store.models import NotificationRow, TaskRow

OFFICER = staff("tom@records.example.gov", "records/officers")
CLERK = staff("clerk@planning.example.gov", "planning/intake")
PERMIT = {"applicant": "Jo", "address": "1 Main St", "floor_area_m2": 120}


def stored_titles(session: Session, instance_id: uuid.UUID) -> list[str]:
    session.expire_all()
    query = select(TaskRow.title).where(
        TaskRow.instance_id == instance_id, TaskRow.status == "open"
    )
    return list(session.scalars(query))


def test_text_limits__a_600_character_request_reaches_consultation_with_titles_cut(
    engine: Engine, session: Session, register
) -> None:
    request = "Copies of every inspection report " + "x" * 566
    view = engine.start(
        session,
        workflow=register("foi-request"),
        input={"requester": "Jo", "request": request},
        actor=OFFICER,
    )
    view = engine.act(session, task_id=view.open_tasks()[0].id, action="consult", actor=OFFICER)
    titles = stored_titles(session, view.id)
    assert view.state == "consultation"
    assert [(len(t), t[-1]) for t in titles] == [(MAX_TITLE, "…"), (MAX_TITLE, "…")]
    assert titles[0].startswith("Search ") and "Copies of every inspection report" in titles[0]


def test_text_limits__a_470_character_address_passes_intake_and_the_structural_review(
    engine: Engine, session: Session, register
) -> None:
    view = engine.start(
        session,
        workflow=register("building-permit"),
        input={**PERMIT, "address": "A" * 470},
        actor=CLERK,
    )
    view = engine.act(session, task_id=view.open_tasks()[0].id, action="accept", actor=CLERK)
    assert view.state == "reviews"
    assert all(len(title) <= MAX_TITLE for title in stored_titles(session, view.id))


def test_text_limits__a_title_that_fits_is_not_cut(
    engine: Engine, session: Session, register
) -> None:
    view = engine.start(session, workflow=register("building-permit"), input=PERMIT, actor=CLERK)
    assert stored_titles(session, view.id) == ["Check completeness: 1 Main St (Jo)"]


def test_text_limits__notification_subjects_about_a_long_title_are_cut_to_fit(
    engine: Engine, session: Session, register
) -> None:
    view = engine.start(
        session,
        workflow=register("building-permit"),
        input={**PERMIT, "address": "A" * 600},
        actor=CLERK,
    )
    task = view.open_tasks()[0]
    engine.claim(session, task_id=task.id, actor=CLERK)  # the assignee is told
    assert engine.task_overdue(session, task_id=task.id)
    subjects = list(session.scalars(select(NotificationRow.subject)))
    assert subjects and all(len(s) == MAX_SUBJECT and s.endswith("…") for s in subjects)


def test_text_limits__a_business_key_over_its_column_is_refused(
    engine: Engine, session: Session, register
) -> None:
    with pytest.raises(InvalidDataError, match=f"at most {MAX_BUSINESS_KEY} characters"):
        engine.start(
            session,
            workflow=register("building-permit"),
            input=PERMIT,
            actor=CLERK,
            business_key="K" * (MAX_BUSINESS_KEY + 1),
        )


def test_text_limits__a_business_key_that_fits_its_column_is_kept(
    engine: Engine, session: Session, register
) -> None:
    key = "K" * MAX_BUSINESS_KEY
    view = engine.start(
        session, workflow=register("building-permit"), input=PERMIT, actor=CLERK, business_key=key
    )
    assert view.business_key == key


@pytest.mark.parametrize("key", ["BP-\x00-1", "BP-\ud800-1"], ids=["nul", "lone-surrogate"])
def test_text_limits__a_business_key_the_databases_cannot_store_is_refused(
    engine: Engine, session: Session, register, key: str
) -> None:
    with pytest.raises(InvalidDataError, match="business key is invalid"):
        engine.start(
            session,
            workflow=register("building-permit"),
            input=PERMIT,
            actor=CLERK,
            business_key=key,
        )


def test_text_limits__a_definition_path_over_its_column_is_refused(
    engine: Engine, session: Session
) -> None:
    source = (
        "workflow: tiny\ntitle: Tiny\nowner: p\ndepartments: {p: {title: P}}\nstart: a\n"
        "states:\n  a: {task: {title: A, queue: p/q}, on: {done: b}}\n  b: {final: true}\n"
    )
    with pytest.raises(InvalidDataError, match=f"path is invalid.*at most {MAX_PATH}"):
        engine.register(session, source, path="d/" * 250 + "tiny.yaml")


@pytest.mark.parametrize("body", ["see \x00 here", "J\ud800o"], ids=["nul", "lone-surrogate"])
def test_text_limits__a_comment_the_databases_cannot_store_is_refused(
    engine: Engine, session: Session, register, body: str
) -> None:
    view = engine.start(session, workflow=register("building-permit"), input=PERMIT, actor=CLERK)
    with pytest.raises(InvalidDataError, match="comment is invalid"):
        engine.comment(session, instance_id=view.id, body=body, actor=CLERK)


def test_text_limits__an_attachment_name_holding_nul_is_refused(
    engine: Engine, session: Session, register, tmp_path
) -> None:
    view = engine.start(session, workflow=register("building-permit"), input=PERMIT, actor=CLERK)
    with pytest.raises(InvalidDataError, match="file name is invalid"):
        engine.attach(
            session,
            instance_id=view.id,
            filename="plan\x00.txt",
            content_type="text/plain",
            content=b"site plan",
            files=AttachmentStore(tmp_path),
            actor=CLERK,
        )
