"""Two web processes over one database and one Redis: a claim made through the
second process reaches a socket connected to the first (the Redis message queue)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio

from tests.realtime_support import api_token, post_json, two_servers_sharing_redis
from tests.servers import Server

BEN = "ben@planning.example.gov"


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[Server, Server, dict[str, str]]]:
    with two_servers_sharing_redis(tmp_path) as servers:
        yield servers


@pytest.mark.slow
def test_an_event_from_the_second_process_reaches_a_socket_on_the_first(
    two_servers: tuple[Server, Server, dict[str, str]],
) -> None:
    first, second, env = two_servers
    integration = api_token(env, "starter", "--scope", "instances:start")
    ben = api_token(env, "ben", "--scope", "tasks:act", "--user", BEN)
    heard: list[dict[str, Any]] = []
    arrived = threading.Event()
    client = socketio.Client(reconnection=False)

    @client.on("*", namespace="/inbox")  # type: ignore[untyped-decorator]
    def _any(name: str, data: dict[str, Any]) -> None:
        heard.append(data)
        if data.get("task", {}).get("assignee") == BEN:
            arrived.set()

    client.connect(
        first.url,
        namespaces=["/inbox"],
        headers={"Authorization": f"Bearer {ben}"},
        transports=["websocket"],
        wait_timeout=10,
    )
    try:
        started = post_json(
            f"{second.url}/api/v1/instances",
            integration,
            {"workflow": "inspection", "input": {"applicant": "Jo", "address": "1 Main St"}},
        )
        task = next(t["id"] for t in started["tasks"] if t["state"] == "inspect")
        post_json(f"{second.url}/api/v1/tasks/{task}/claim", ben, {})
        assert arrived.wait(5), heard
        assert any(e["type"] == "task.created" and e["task"]["id"] == task for e in heard)
    finally:
        client.disconnect()
