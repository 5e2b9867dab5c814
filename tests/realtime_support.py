"""Helpers for the live-inbox tests: a Socket.IO test client on ``/inbox`` sharing
the HTTP test client's cookies, and a case started through the API."""

from __future__ import annotations

from typing import Any

from flask_socketio import SocketIOTestClient

from tests.conftest import DATA

NAMESPACE = "/inbox"


def socket(app: Any, client: Any, headers: dict[str, str] | None = None) -> SocketIOTestClient:
    realtime = app.extensions["civicflow.realtime"]
    return realtime.socketio.test_client(
        app, namespace=NAMESPACE, headers=headers or {}, flask_test_client=client
    )


def received(sock: SocketIOTestClient) -> list[dict[str, Any]]:
    return [m for m in sock.get_received(NAMESPACE)]


def start_case(client: Any, integration: dict[str, str]) -> str:
    """Upload the API tests' approval workflow and start one case; its instance id."""
    source = (DATA / "api" / "approval.yaml").read_text(encoding="utf-8")
    client.post(
        "/api/v1/definitions",
        data=source,
        headers={**integration, "Content-Type": "application/yaml"},
    )
    answer = client.post(
        "/api/v1/instances",
        json={"workflow": "approval", "input": {"applicant": "Jo", "address": "1 Main St"}},
        headers=integration,
    )
    assert answer.status_code == 201, answer.get_json()
    return str(answer.get_json()["id"])
