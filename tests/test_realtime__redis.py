"""Two web processes over one database and one Redis: a claim made through the
second process reaches a socket connected to the first (the Redis message queue)."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio

from tests.conftest import DATA
from tests.realtime_support import REDIS_URL, need_redis
from tests.servers import Server, civicflow, clean_env

BEN = "ben@planning.example.gov"


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[Server, Server, dict[str, str]]]:
    need_redis()
    env = clean_env(
        {
            "CIVICFLOW_DATA_DIR": str(tmp_path / "var"),
            "CIVICFLOW_REDIS_URL": REDIS_URL,
            "CIVICFLOW_DEFINITIONS_DIR": str(DATA / "ui" / "definitions"),
            "CIVICFLOW_DIRECTORY_FILE": str(DATA / "ui" / "directory.yaml"),
        }
    )
    first = Server(env, tmp_path / "first.log")
    second = Server(env, tmp_path / "second.log")
    try:
        first.start("--no-worker", "--no-dev-idp")
        second.start("--no-worker", "--no-dev-idp")
        yield first, second, env
    finally:
        first.stop()
        second.stop()


def _post(url: str, token: str, body: Any) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def _token(env: dict[str, str], *args: str) -> str:
    return civicflow(env, "token", "create", *args).splitlines()[0].strip()


@pytest.mark.slow
def test_an_event_from_the_second_process_reaches_a_socket_on_the_first(
    two_servers: tuple[Server, Server, dict[str, str]],
) -> None:
    first, second, env = two_servers
    integration = _token(env, "starter", "--scope", "instances:start")
    ben = _token(env, "ben", "--scope", "tasks:act", "--user", BEN)
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
        started = _post(
            f"{second.url}/api/v1/instances",
            integration,
            {"workflow": "inspection", "input": {"applicant": "Jo", "address": "1 Main St"}},
        )
        task = next(t["id"] for t in started["tasks"] if t["state"] == "inspect")
        _post(f"{second.url}/api/v1/tasks/{task}/claim", ben, {})
        assert arrived.wait(5), heard
        assert any(e["type"] == "task.created" and e["task"]["id"] == task for e in heard)
    finally:
        client.disconnect()
