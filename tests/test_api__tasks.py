"""A token acting for a person is bound by that person's queues, departments and
four-eyes exactly as the person is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Token = Callable[..., dict[str, str]]
INPUT = {"applicant": "Jo", "address": "1 Main St"}
ANA = "ana@planning.example.gov"


@pytest.fixture
def intake(client: Any, make_token: Token, approval: str) -> dict[str, Any]:
    """A started case's open intake task."""
    started = client.post(
        "/api/v1/instances", json={"workflow": approval, "input": INPUT}, headers=make_token()
    )
    assert started.status_code == 201
    task: dict[str, Any] = started.get_json()["tasks"][0]
    return task


def test_another_departments_task_is_404_not_403(
    client: Any, make_token: Token, intake: dict[str, Any]
) -> None:
    pat = make_token("tasks:act", "instances:read", user="pat@parks.example.gov")
    seen = client.get(f"/api/v1/tasks/{intake['id']}", headers=pat)
    acted = client.post(f"/api/v1/tasks/{intake['id']}/act", json={"action": "accept"}, headers=pat)
    instance = client.get(f"/api/v1/instances/{intake['instance_id']}", headers=pat)
    missing = client.get("/api/v1/tasks/00000000-0000-0000-0000-000000000000", headers=pat)
    assert [r.status_code for r in (seen, acted, instance)] == [404, 404, 404]
    assert seen.get_json() | {"detail": ""} == missing.get_json() | {"detail": ""}


def test_another_departments_claimed_task_cannot_be_unclaimed(
    client: Any, make_token: Token, intake: dict[str, Any]
) -> None:
    ben = make_token("tasks:act", user="ben@planning.example.gov")
    sam = make_token("tasks:act", user="sam@fire.example.gov")
    assert client.post(f"/api/v1/tasks/{intake['id']}/claim", headers=ben).status_code == 200
    response = client.post(f"/api/v1/tasks/{intake['id']}/unclaim", headers=sam)
    assert response.status_code == 404  # fire cannot even see planning's task


def test_four_eyes_binds_a_token_like_its_person(
    client: Any, make_token: Token, intake: dict[str, Any]
) -> None:
    ana = make_token("tasks:act", "instances:read", user=ANA)
    sam = make_token("tasks:act", user="sam@fire.example.gov")
    ben = make_token("tasks:act", user="ben@planning.example.gov")
    act = "/api/v1/tasks/{}/act"
    assert (
        client.post(act.format(intake["id"]), json={"action": "accept"}, headers=ana).status_code
        == 200
    )
    case = client.get(f"/api/v1/instances/{intake['instance_id']}", headers=ana).get_json()
    for task in case["tasks"]:
        if task["status"] == "open":
            who = sam if task["queue"].startswith("fire/") else ben
            assert (
                client.post(
                    act.format(task["id"]), json={"action": "approve"}, headers=who
                ).status_code
                == 200
            )
    case = client.get(f"/api/v1/instances/{intake['instance_id']}", headers=ana).get_json()
    signoff = next(t for t in case["tasks"] if t["status"] == "open")
    refused = client.post(act.format(signoff["id"]), json={"action": "sign"}, headers=ana)
    assert refused.status_code == 403
    assert refused.get_json()["type"] == "urn:civicflow:problem:forbidden"
    assert "four-eyes" in refused.get_json()["detail"]


def test_a_stale_expected_version_is_409(
    client: Any, make_token: Token, intake: dict[str, Any]
) -> None:
    ben = make_token("tasks:act", user="ben@planning.example.gov")
    assert client.post(f"/api/v1/tasks/{intake['id']}/claim", headers=ben).status_code == 200
    response = client.post(
        f"/api/v1/tasks/{intake['id']}/act",
        json={"action": "accept", "expected_version": intake["version"]},
        headers=ben,
    )
    assert response.status_code == 409
    assert response.get_json()["type"] == "urn:civicflow:problem:conflict"


def test_a_duplicate_business_key_is_409(client: Any, make_token: Token, approval: str) -> None:
    token = make_token()
    body = {"workflow": approval, "input": INPUT, "business_key": "APP-1"}
    assert client.post("/api/v1/instances", json=body, headers=token).status_code == 201
    again = client.post("/api/v1/instances", json=body, headers=token)
    assert again.status_code == 409


def test_the_inbox_lists_only_your_queues(
    client: Any, make_token: Token, intake: dict[str, Any]
) -> None:
    ben = client.get(
        "/api/v1/tasks?view=queues", headers=make_token(user="ben@planning.example.gov")
    )
    sam = client.get("/api/v1/tasks?view=queues", headers=make_token(user="sam@fire.example.gov"))
    assert [t["id"] for t in ben.get_json()["items"]] == [intake["id"]]
    assert sam.get_json()["items"] == []
