"""Through the API with tokens only: upload a definition, start it, work every task
to the end, and read the instance's history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "api"
YAML = {"Content-Type": "application/yaml"}


def _open_task(client: Any, token: dict[str, str], instance: str, state: str) -> dict[str, Any]:
    body = client.get(f"/api/v1/instances/{instance}", headers=token).get_json()
    return next(t for t in body["tasks"] if t["status"] == "open" and t["branch"] == state)


def test_a_case_runs_end_to_end_through_the_api(
    client: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    integration = make_token("definitions:write", "instances:start", "instances:read")
    ben = make_token("tasks:act", "instances:read", user="ben@planning.example.gov")
    sam = make_token("tasks:act", user="sam@fire.example.gov")
    lee = make_token("tasks:act", user="lee@legal.example.gov")

    uploaded = client.post(
        "/api/v1/definitions",
        data=(DATA / "approval.yaml").read_bytes(),
        headers=integration | YAML,
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    started = client.post(
        "/api/v1/instances",
        json={"workflow": "approval", "input": {"applicant": "Jo", "address": "1 Main St"}},
        headers=integration,
    )
    assert started.status_code == 201, started.get_json()
    instance = started.get_json()["id"]
    assert started.headers["Location"].endswith(f"/api/v1/instances/{instance}")

    inbox = client.get("/api/v1/tasks?view=queues", headers=ben).get_json()
    intake = next(t for t in inbox["items"] if t["instance_id"] == instance)
    acted = client.post(
        f"/api/v1/tasks/{intake['id']}/act",
        json={"action": "accept", "data": {"notes": "complete"}, "expected_version": 1},
        headers=ben,
    )
    assert acted.status_code == 200, acted.get_json()
    for who, branch in ((sam, "fire"), (ben, "structural")):
        task = _open_task(client, integration, instance, branch)
        response = client.post(
            f"/api/v1/tasks/{task['id']}/act", json={"action": "approve"}, headers=who
        )
        assert response.status_code == 200, response.get_json()
    signoff = next(
        t
        for t in client.get(f"/api/v1/instances/{instance}", headers=integration).get_json()[
            "tasks"
        ]
        if t["status"] == "open"
    )
    signed = client.post(f"/api/v1/tasks/{signoff['id']}/act", json={"action": "sign"}, headers=lee)
    assert signed.status_code == 200, signed.get_json()

    final = client.get(f"/api/v1/instances/{instance}", headers=integration).get_json()
    assert (final["status"], final["state"]) == ("completed", "approved")
    assert [e["action"] for e in final["history"]].count("task.completed") == 4
