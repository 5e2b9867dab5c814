"""Comments through the API: the engine's typed comment comes back as JSON, mentions
resolved to known people; someone outside the case gets the same 404 as a missing one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from workflow import Database


def _start(client: Any, token: dict[str, str]) -> str:
    started = client.post(
        "/api/v1/instances",
        json={"workflow": "approval", "input": {"applicant": "Jo", "address": "1 Main St"}},
        headers=token,
    )
    assert started.status_code == 201, started.get_json()
    return str(started.get_json()["id"])


def test_a_comment_is_stored_and_its_mentions_resolved(
    client: Any, make_token: Callable[..., dict[str, str]], approval: str, committed: Database
) -> None:
    instance = _start(client, make_token("instances:start"))
    ben = make_token("tasks:act", user="ben@planning.example.gov")

    response = client.post(
        f"/api/v1/instances/{instance}/comments",
        json={"body": "@ana@planning.example.gov please check the plans"},
        headers=ben,
    )

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["mentions"] == ["ana@planning.example.gov"]
    with committed.engine.connect() as connection:
        stored = connection.execute(text("select body from comments")).scalar_one()
    assert stored == "@ana@planning.example.gov please check the plans"


def test_a_comment_from_outside_the_case_is_not_found_and_stores_nothing(
    client: Any, make_token: Callable[..., dict[str, str]], approval: str, committed: Database
) -> None:
    instance = _start(client, make_token("instances:start"))
    pat = make_token("tasks:act", user="pat@parks.example.gov")

    response = client.post(
        f"/api/v1/instances/{instance}/comments", json={"body": "hello"}, headers=pat
    )

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    with committed.engine.connect() as connection:
        assert connection.execute(text("select count(*) from comments")).scalar_one() == 0
