"""Fixtures for the staff UI tests: the UI's people and workflow, committed, and a
way to start cases and to act as a person (an API token acting for them)."""

from __future__ import annotations

import html
import io
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import DATA
from workflow import SYSTEM, ApiTokens, Database, Engine, FixedClock, People, load_directory

ANA = "ana@planning.example.gov"  # planning/intake, lead
BEN = "ben@planning.example.gov"  # planning/intake
LEE = "lee@legal.example.gov"  # legal/counsel
PAT = "pat@parks.example.gov"  # parks: another department

Headers = dict[str, str]


@pytest.fixture
def ui_world(committed: Database, engine: Engine, clock: FixedClock) -> Database:
    source = (DATA / "ui" / "definitions" / "inspection.yaml").read_text(encoding="utf-8")
    with committed.transaction() as session:
        People(session).import_directory(
            load_directory(DATA / "ui" / "directory.yaml"), now=clock.now(), actor=SYSTEM
        )
        engine.register(session, source, path="inspection.yaml")
    return committed


@pytest.fixture
def as_person(ui_world: Database, clock: FixedClock) -> Callable[[str], Headers]:
    def _as(email: str) -> Headers:
        with ui_world.transaction() as session:
            secret, _ = ApiTokens(session).create(
                f"ui-{uuid.uuid4().hex[:8]}",
                scopes=("tasks:act", "instances:read"),
                user=email,
                created_by="tests",
                now=clock.now(),
            )
        return {"Authorization": f"Bearer {secret}"}

    return _as


@pytest.fixture
def start_inspection(ui_world: Database, engine: Engine) -> Callable[..., str]:
    """Start an inspection; the id of its open ``inspect`` task."""

    def _start(address: str = "1 Main St", applicant: str = "Jo Doe") -> str:
        with ui_world.transaction() as session:
            actor = People(session).actor(ANA)
            view = engine.start(
                session,
                workflow="inspection",
                input={"applicant": applicant, "address": address},
                actor=actor,
            )
        return str(view.open_tasks()[0].id)

    return _start


def text_of(answer: Any) -> str:
    return str(answer.get_data(as_text=True))


def upload(client: Any, headers: Headers, task: str, name: str, content: bytes, kind: str) -> str:
    """Attach a file through the task page's form, as a person does; the href of its
    download link on the page that follows."""
    answer = client.post(
        f"/tasks/{task}/attachments",
        data={"file": (io.BytesIO(content), name, kind)},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302, text_of(answer)
    links = attachment_links(client.get(f"/tasks/{task}", headers=headers))
    assert links, "the page lists no attachment link"
    return links[-1][0]


def attachment_links(page: Any) -> list[tuple[str, str]]:
    """Each attachment link of a task page: its href and its text, as read aloud."""
    found = re.findall(
        r'<a href="(/tasks/[^"]+/attachments/[^"]+)"[^>]*>(.*?)</a>', text_of(page), re.S
    )
    return [
        (html.unescape(href), " ".join(html.unescape(re.sub(r"<[^>]+>", "", t)).split()))
        for href, t in found
    ]
