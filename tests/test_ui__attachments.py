"""Attachments go through the engine's file store: listed when accepted, refused
with the store's message when their type is wrong, and downloaded from the task page
as the exact bytes uploaded, with headers that keep any file from running in our
origin — or, when the stored copy is damaged, a page that says so and sends nothing."""

from __future__ import annotations

import hashlib
import io
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from tests.ui_support import (
    BEN,
    PAT,
    as_person,
    attachment_links,
    start_inspection,
    text_of,
    ui_world,
    upload,
)
from web.files import attachment_store
from workflow import Database, Engine, People, find_task

__all__ = ["as_person", "start_inspection", "ui_world"]

Person = Callable[[str], dict[str, str]]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) + b"\r\n\x00\n" + os.urandom(512)


def _claimed(client: Any, as_person: Person, start_inspection: Callable[..., str]) -> str:
    task = start_inspection()
    client.post(f"/tasks/{task}/claim", headers=as_person(BEN))
    return task


def _stored(settings: Any, content: bytes) -> Path:
    digest = hashlib.sha256(content).hexdigest()
    return Path(settings.data_dir) / "attachments" / digest[:2] / digest[2:4] / digest


def test_a_text_file_is_attached(
    client: Any, as_person: Person, start_inspection: Callable[..., str]
) -> None:
    task = _claimed(client, as_person, start_inspection)
    ben = as_person(BEN)
    answer = client.post(
        f"/tasks/{task}/attachments",
        data={"file": (io.BytesIO(b"site notes"), "notes.txt", "text/plain")},
        headers=ben,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302
    assert "notes.txt" in text_of(client.get(f"/tasks/{task}", headers=ben))


def test_a_file_of_a_refused_type_is_explained(
    client: Any, as_person: Person, start_inspection: Callable[..., str]
) -> None:
    task = _claimed(client, as_person, start_inspection)
    answer = client.post(
        f"/tasks/{task}/attachments",
        data={"file": (io.BytesIO(b"MZ\x90\x00"), "tool.exe", "application/x-msdownload")},
        headers=as_person(BEN),
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    assert "are not accepted" in text_of(answer)


def test_an_uploaded_file_downloads_as_the_exact_bytes(
    client: Any, as_person: Person, start_inspection: Callable[..., str]
) -> None:
    task = _claimed(client, as_person, start_inspection)
    ben = as_person(BEN)
    link = upload(client, ben, task, "site plan.png", PNG, "image/png")

    answer = client.get(link, headers=ben)

    assert answer.status_code == 200
    assert answer.get_data() == PNG
    assert answer.headers["Content-Type"] == "image/png"


def test_a_download_is_an_attachment_that_never_runs_in_our_origin(
    client: Any, as_person: Person, start_inspection: Callable[..., str]
) -> None:
    task = _claimed(client, as_person, start_inspection)
    ben = as_person(BEN)
    link = upload(client, ben, task, "notes.txt", b"site notes", "text/plain")

    answer = client.get(link, headers=ben)

    assert answer.headers["Content-Type"] == "text/plain"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    policy = [p.strip() for p in answer.headers["Content-Security-Policy"].split(";")]
    assert "sandbox" in policy and "default-src 'none'" in policy
    assert answer.headers["Content-Disposition"] == (
        "attachment; filename=\"notes.txt\"; filename*=UTF-8''notes.txt"
    )


def test_the_link_names_the_file_its_size_and_its_type(
    client: Any, as_person: Person, start_inspection: Callable[..., str]
) -> None:
    task = _claimed(client, as_person, start_inspection)
    ben = as_person(BEN)
    upload(client, ben, task, "notes.txt", b"site notes", "text/plain")

    links = attachment_links(client.get(f"/tasks/{task}", headers=ben))

    assert [text for _, text in links] == ["notes.txt (10 bytes, text/plain)"]


@pytest.mark.parametrize(
    "name",
    [
        'say "hi"; filename=evil.html.txt',
        "two\r\nSet-Cookie: x=1.txt",
        "Plan de obra \u2013 año 2026 🏗.txt",
        "%41%0d%0a already encoded.txt",
        "...txt",
    ],
    ids=["quotes-and-semicolons", "line-break", "unicode", "percent-signs", "only-dots"],
)
def test_any_stored_name_gives_a_safe_header_that_decodes_to_it(
    client: Any,
    as_person: Person,
    start_inspection: Callable[..., str],
    ui_world: Database,
    engine: Engine,
    settings: Any,
    name: str,
) -> None:
    task = _claimed(client, as_person, start_inspection)
    with ui_world.transaction() as session:
        actor = People(session).actor(BEN)
        attached = engine.attach(
            session,
            instance_id=find_task(session, uuid.UUID(task), viewer=None).instance_id,
            task_id=uuid.UUID(task),
            filename=name,
            content_type="text/plain",
            content=b"notes",
            files=attachment_store(settings),
            actor=actor,
        )
    assert attached.filename == name  # stored as given: the header must cope

    answer = client.get(f"/tasks/{task}/attachments/{attached.id}", headers=as_person(BEN))

    assert answer.status_code == 200 and answer.get_data() == b"notes"
    header = answer.headers["Content-Disposition"]
    assert header.isascii() and "\r" not in header and "\n" not in header
    match = re.fullmatch(r'attachment; filename="([A-Za-z0-9 ._()-]+)"; filename\*=(.*)', header)
    assert match is not None, header
    charset, _, encoded = match.group(2).partition("''")
    assert charset == "UTF-8" and re.fullmatch(r"[A-Za-z0-9._~%-]+", encoded), encoded
    assert unquote(encoded, encoding="utf-8") == name


def test_another_departments_file_is_not_found_like_a_missing_one(
    client: Any, as_person: Person, start_inspection: Callable[..., str]
) -> None:
    task = _claimed(client, as_person, start_inspection)
    link = upload(client, as_person(BEN), task, "notes.txt", b"site notes", "text/plain")
    pat = as_person(PAT)

    theirs = client.get(link, headers=pat)
    missing = client.get(f"/tasks/{uuid.uuid4()}/attachments/{uuid.uuid4()}", headers=pat)

    assert theirs.status_code == missing.status_code == 404
    assert text_of(theirs) == text_of(missing)
    assert b"site notes" not in theirs.get_data()


def test_an_unknown_attachment_of_a_visible_task_is_not_found(
    client: Any, as_person: Person, start_inspection: Callable[..., str]
) -> None:
    task = _claimed(client, as_person, start_inspection)

    answer = client.get(f"/tasks/{task}/attachments/{uuid.uuid4()}", headers=as_person(BEN))

    assert answer.status_code == 404


def test_a_file_of_another_case_is_not_found_through_this_task(
    client: Any, as_person: Person, start_inspection: Callable[..., str]
) -> None:
    first = _claimed(client, as_person, start_inspection)
    second = _claimed(client, as_person, start_inspection)
    ben = as_person(BEN)
    link = upload(client, ben, first, "notes.txt", b"site notes", "text/plain")

    answer = client.get(link.replace(first, second), headers=ben)

    assert answer.status_code == 404


@pytest.mark.parametrize("damage", ["missing", "truncated", "altered"])
def test_a_damaged_stored_copy_is_a_page_that_says_so_and_sends_nothing(
    client: Any,
    as_person: Person,
    start_inspection: Callable[..., str],
    settings: Any,
    damage: str,
) -> None:
    task = _claimed(client, as_person, start_inspection)
    ben = as_person(BEN)
    link = upload(client, ben, task, "site plan.png", PNG, "image/png")
    stored = _stored(settings, PNG)
    if damage == "missing":
        stored.unlink()
    elif damage == "truncated":
        stored.write_bytes(PNG[:100])
    else:
        stored.write_bytes(PNG[:-1] + bytes([PNG[-1] ^ 0xFF]))

    answer = client.get(link, headers=ben)

    assert answer.status_code == 500
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in answer.headers
    page = text_of(answer)
    assert "its stored copy is missing or damaged" in page
    assert 'role="alert" id="task-alert"' in page
    assert "Traceback" not in page
