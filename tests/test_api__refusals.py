"""Each bad request gets its documented problem and changes nothing in the database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from workflow.store.database import Database
from workflow.store.models import AuditRow, InstanceRow, TaskRow

START = "/api/v1/instances"
GOOD = {"workflow": "approval", "input": {"applicant": "Jo", "address": "1 Main St"}}


def _counts(database: Database) -> tuple[int, int, int]:
    with database.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(InstanceRow)) or 0,
            session.scalar(select(func.count()).select_from(TaskRow)) or 0,
            session.scalar(select(func.count()).select_from(AuditRow)) or 0,
        )


@pytest.fixture
def unchanged(committed: Database, approval: str) -> Iterator[None]:
    before = _counts(committed)
    yield
    assert _counts(committed) == before


def _problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["type"] == f"urn:civicflow:problem:{kind}"
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_no_token_is_401(client: Any, unchanged: None) -> None:
    response = client.post(START, json=GOOD)
    _problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_is_401(client: Any, unchanged: None) -> None:
    response = client.post(START, json=GOOD, headers={"Authorization": "Bearer cf_nope"})
    _problem(response, 401, "unauthenticated")


def test_missing_scope_is_403(
    client: Any, make_token: Callable[..., dict[str, str]], unchanged: None
) -> None:
    response = client.post(START, json=GOOD, headers=make_token("instances:read"))
    _problem(response, 403, "insufficient-scope")


def test_malformed_json_is_400(
    client: Any, make_token: Callable[..., dict[str, str]], unchanged: None
) -> None:
    headers = make_token() | {"Content-Type": "application/json"}
    _problem(client.post(START, data=b'{"workflow": ', headers=headers), 400, "malformed-request")


def test_wrong_content_type_is_415(
    client: Any, make_token: Callable[..., dict[str, str]], unchanged: None
) -> None:
    headers = make_token() | {"Content-Type": "text/plain"}
    _problem(
        client.post(START, data=b"workflow=approval", headers=headers),
        415,
        "unsupported-media-type",
    )


def test_body_over_the_limit_is_413(
    client: Any, make_token: Callable[..., dict[str, str]], unchanged: None
) -> None:
    huge = {**GOOD, "input": {"applicant": "x" * (2 * 1024 * 1024), "address": "1 Main St"}}
    _problem(client.post(START, json=huge, headers=make_token()), 413, "payload-too-large")


def test_input_failing_the_schema_is_422_with_pointers(
    client: Any, make_token: Callable[..., dict[str, str]], unchanged: None
) -> None:
    bad = {"workflow": "approval", "input": {"applicant": 7}}
    body = _problem(client.post(START, json=bad, headers=make_token()), 422, "invalid-data")
    assert {e["pointer"] for e in body["errors"]} >= {"/applicant"}


def test_request_shape_errors_are_422_with_pointers(
    client: Any, make_token: Callable[..., dict[str, str]], unchanged: None
) -> None:
    bad = {"workflow": "", "input": [], "extra": 1}
    body = _problem(client.post(START, json=bad, headers=make_token()), 422, "invalid-data")
    assert {e["pointer"] for e in body["errors"]} == {"/workflow", "/input", "/extra"}


def test_unknown_workflow_is_404(
    client: Any, make_token: Callable[..., dict[str, str]], unchanged: None
) -> None:
    response = client.post(START, json={**GOOD, "workflow": "nope"}, headers=make_token())
    _problem(response, 404, "not-found")
