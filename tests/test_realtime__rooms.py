"""Committed task events reach the task's queue and assignee, and no one else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.realtime_support import received, socket, start_case

BEN = "ben@planning.example.gov"  # planning/intake
ANA = "ana@planning.example.gov"  # planning/intake (lead)
PAT = "pat@parks.example.gov"  # another department


def _open_intake(client: Any, token: dict[str, str], instance: str) -> str:
    body = client.get(f"/api/v1/instances/{instance}", headers=token).get_json()
    return str(next(t["id"] for t in body["tasks"] if t["state"] == "intake"))


def test_the_queue_hears_a_new_task(
    app: Any, client: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    ben = socket(app, client, make_token(user=BEN))
    start_case(client, make_token())
    events = received(ben)
    created = [e for e in events if e["name"] == "task.created"]
    assert [e["args"][0]["task"]["queue"] for e in created] == ["planning/intake"]


def test_another_department_hears_nothing(
    app: Any, client: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    pat = socket(app, client, make_token(user=PAT))
    integration = make_token()
    instance = start_case(client, integration)
    task = _open_intake(client, integration, instance)
    client.post(f"/api/v1/tasks/{task}/claim", headers=make_token(user=BEN))
    assert received(pat) == []


def test_a_claim_reaches_the_queue_with_its_holder(
    app: Any, client: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    integration = make_token()
    task = _open_intake(client, integration, start_case(client, integration))
    ana = socket(app, client, make_token(user=ANA))
    answer = client.post(f"/api/v1/tasks/{task}/claim", headers=make_token(user=BEN))
    assert answer.status_code == 200
    claims = [e["args"][0] for e in received(ana) if e["name"] != "presence"]
    assert [(e["type"], e["task"]["id"], e["task"]["assignee"]) for e in claims] == [
        (claims[0]["type"], task, BEN)
    ]
    assert claims[0]["type"] in ("task.claimed", "task.updated")


def test_a_refused_action_emits_nothing(
    app: Any, client: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    integration = make_token()
    task = _open_intake(client, integration, start_case(client, integration))
    client.post(f"/api/v1/tasks/{task}/claim", headers=make_token(user=BEN))
    ana = socket(app, client, make_token(user=ANA))
    second = client.post(f"/api/v1/tasks/{task}/claim", headers=make_token(user=ANA))
    assert second.status_code == 409
    assert received(ana) == []
