"""Attachments through the API: an instance's files are listed with a link to each,
and the link hands out the exact bytes uploaded with the same safe headers as the
task page; another department's case, an unknown file and a damaged stored copy
are each told apart only as far as the boundary allows (404, 404, 500)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ui_support import BEN, PAT, as_person, start_inspection, ui_world, upload

__all__ = ["as_person", "start_inspection", "ui_world"]

Person = Callable[[str], dict[str, str]]
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 3 + b"\r\n%%EOF\r\n"


def _attached(client: Any, as_person: Person, start_inspection: Callable[..., str]) -> str:
    """Upload PDF through the task page; the API link of the file (from the list)."""
    task = start_inspection()
    ben = as_person(BEN)
    client.post(f"/tasks/{task}/claim", headers=ben)
    upload(client, ben, task, "report.pdf", PDF, "application/pdf")
    instance = client.get(f"/api/v1/tasks/{task}", headers=ben).get_json()["instance_id"]
    listed = client.get(f"/api/v1/instances/{instance}/attachments", headers=ben)
    assert listed.status_code == 200, listed.get_json()
    (item,) = listed.get_json()["items"]
    assert (item["filename"], item["size"], item["task_id"]) == ("report.pdf", len(PDF), task)
    assert item["sha256"] == hashlib.sha256(PDF).hexdigest()
    return str(item["links"]["content"]["href"])


def test_a_file_uploaded_on_the_task_page_downloads_as_the_exact_bytes(
    client: Any, as_person: Person, start_inspection: Callable[..., str]
) -> None:
    href = _attached(client, as_person, start_inspection)

    answer = client.get(href, headers=as_person(BEN))

    assert answer.status_code == 200
    assert answer.get_data() == PDF
    assert answer.headers["Content-Type"] == "application/pdf"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in answer.headers["Content-Security-Policy"].split("; ")
    assert answer.headers["Content-Disposition"] == (
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    )


def test_another_departments_file_is_the_same_404_as_a_missing_one(
    client: Any, as_person: Person, start_inspection: Callable[..., str]
) -> None:
    href = _attached(client, as_person, start_inspection)
    instance = href.split("/")[4]
    pat = as_person(PAT)

    nowhere = str(uuid.uuid4())
    theirs = client.get(href, headers=pat)
    missing = client.get(f"/api/v1/instances/{nowhere}/attachments/{uuid.uuid4()}", headers=pat)
    listed = client.get(f"/api/v1/instances/{instance}/attachments", headers=pat)

    assert theirs.status_code == missing.status_code == listed.status_code == 404
    assert theirs.headers["Content-Type"] == "application/problem+json"
    assert theirs.get_json()["type"] == "urn:civicflow:problem:not-found"
    assert theirs.get_data(as_text=True).replace(instance, "ID") == missing.get_data(
        as_text=True
    ).replace(nowhere, "ID")
    assert PDF not in theirs.get_data()


def test_an_unknown_file_of_a_visible_instance_is_not_found(
    client: Any, as_person: Person, start_inspection: Callable[..., str]
) -> None:
    href = _attached(client, as_person, start_inspection)

    answer = client.get(href.rsplit("/", 1)[0] + f"/{uuid.uuid4()}", headers=as_person(BEN))

    assert answer.status_code == 404
    assert answer.get_json()["type"] == "urn:civicflow:problem:not-found"


@pytest.mark.parametrize("damage", ["missing", "altered"])
def test_a_damaged_stored_copy_is_a_500_problem_that_sends_nothing(
    client: Any,
    as_person: Person,
    start_inspection: Callable[..., str],
    settings: Any,
    damage: str,
) -> None:
    href = _attached(client, as_person, start_inspection)
    digest = hashlib.sha256(PDF).hexdigest()
    stored = Path(settings.data_dir) / "attachments" / digest[:2] / digest[2:4] / digest
    if damage == "missing":
        stored.unlink()
    else:
        stored.write_bytes(PDF.replace(b"%%EOF", b"%%EOX"))

    answer = client.get(href, headers=as_person(BEN))

    assert answer.status_code == 500
    assert answer.headers["Content-Type"] == "application/problem+json"
    problem = answer.get_json()
    assert problem["type"] == "urn:civicflow:problem:stored-content-damaged"
    assert "restore the file" in problem["detail"]
    assert "Content-Disposition" not in answer.headers


def test_the_download_is_described_in_the_openapi_document(client: Any) -> None:
    document = client.get("/api/openapi.json").get_json()
    operation = document["paths"]["/api/v1/instances/{instance_id}/attachments/{attachment_id}"]
    answers = operation["get"]["responses"]
    assert set(answers["200"]["headers"]) >= {
        "Content-Disposition",
        "X-Content-Type-Options",
        "Content-Security-Policy",
    }
    problem = answers["404"]["content"]["application/problem+json"]["schema"]["$ref"]
    assert problem == "#/components/schemas/Problem"
    assert "stored-content-damaged" in answers["500"]["description"]
