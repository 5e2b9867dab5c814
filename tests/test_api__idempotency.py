"""An Idempotency-Key replays the first response with no second effect."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from workflow.store.database import Database
from workflow.store.models import InstanceRow

BODY = {"workflow": "approval", "input": {"applicant": "Jo", "address": "1 Main St"}}


def _instances(database: Database) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(InstanceRow)) or 0


def test_a_repeated_key_replays_the_first_response(
    client: Any, make_token: Callable[..., dict[str, str]], approval: str, committed: Database
) -> None:
    headers = make_token() | {"Idempotency-Key": "start-42"}
    first = client.post("/api/v1/instances", json=BODY, headers=headers)
    second = client.post("/api/v1/instances", json=BODY, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.get_json() == first.get_json()
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _instances(committed) == 1


def test_a_key_reused_for_another_request_is_refused(
    client: Any, make_token: Callable[..., dict[str, str]], approval: str, committed: Database
) -> None:
    headers = make_token() | {"Idempotency-Key": "start-43"}
    assert client.post("/api/v1/instances", json=BODY, headers=headers).status_code == 201
    other = {**BODY, "business_key": "B-2"}
    response = client.post("/api/v1/instances", json=other, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["type"] == "urn:civicflow:problem:idempotency-key-reused"
    assert _instances(committed) == 1


def test_keys_are_per_token(
    client: Any, make_token: Callable[..., dict[str, str]], approval: str, committed: Database
) -> None:
    for token in (make_token(), make_token()):
        headers = token | {"Idempotency-Key": "same"}
        assert client.post("/api/v1/instances", json=BODY, headers=headers).status_code == 201
    assert _instances(committed) == 2


def test_a_failed_request_stores_nothing(
    client: Any, make_token: Callable[..., dict[str, str]], approval: str, committed: Database
) -> None:
    headers = make_token() | {"Idempotency-Key": "retry-me"}
    bad = {"workflow": "approval", "input": {"applicant": "Jo"}}
    assert client.post("/api/v1/instances", json=bad, headers=headers).status_code == 422
    assert client.post("/api/v1/instances", json=bad, headers=headers).status_code == 422
    assert _instances(committed) == 0


def test_a_repeated_definition_upload_replays_the_first_201(
    client: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    source = (Path(__file__).parent / "data" / "api" / "approval.yaml").read_bytes()
    headers = make_token() | {"Content-Type": "application/yaml", "Idempotency-Key": "upload-1"}
    first = client.post("/api/v1/definitions", data=source, headers=headers)
    second = client.post("/api/v1/definitions", data=source, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)  # not 200 "unchanged"
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
