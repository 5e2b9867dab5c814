"""Presence: the queue sees who is looking at a task; outsiders can't announce one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.realtime_support import NAMESPACE, received, socket, start_case

BEN = "ben@planning.example.gov"
ANA = "ana@planning.example.gov"
PAT = "pat@parks.example.gov"


def _intake(client: Any, make_token: Callable[..., dict[str, str]]) -> str:
    integration = make_token()
    instance = start_case(client, integration)
    body = client.get(f"/api/v1/instances/{instance}", headers=integration).get_json()
    return str(next(t["id"] for t in body["tasks"] if t["state"] == "intake"))


def _presence(sock: Any) -> list[dict[str, Any]]:
    return [e["args"][0] for e in received(sock) if e["name"] == "presence"]


def test_the_queue_sees_who_views_a_task(
    app: Any, client: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    task = _intake(client, make_token)
    ben = socket(app, client, make_token(user=BEN))
    ana = socket(app, client, make_token(user=ANA))
    ana.emit("viewing", {"task_id": task}, namespace=NAMESPACE)
    assert _presence(ben)[-1] == {"task_id": task, "viewers": [{"email": ANA, "name": "Ana"}]}


def test_leaving_clears_the_viewer(
    app: Any, client: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    task = _intake(client, make_token)
    ben = socket(app, client, make_token(user=BEN))
    ana = socket(app, client, make_token(user=ANA))
    ana.emit("viewing", {"task_id": task}, namespace=NAMESPACE)
    ana.disconnect(NAMESPACE)
    assert _presence(ben)[-1] == {"task_id": task, "viewers": []}


def test_an_outsider_cannot_view_a_task_of_another_department(
    app: Any, client: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    task = _intake(client, make_token)
    ben = socket(app, client, make_token(user=BEN))
    pat = socket(app, client, make_token(user=PAT))
    pat.emit("viewing", {"task_id": task}, namespace=NAMESPACE)
    assert _presence(ben) == []
