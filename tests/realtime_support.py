"""Helpers for the live-inbox tests: a Socket.IO test client on ``/inbox`` sharing
the HTTP test client's cookies, a case started through the API, and the test Redis
(unreachable: a skip off CI, a failure on CI)."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from flask_socketio import SocketIOTestClient

from tests.conftest import DATA, IN_CI
from tests.servers import Server, civicflow, clean_env

NAMESPACE = "/inbox"
REDIS_URL = os.environ.get("CIVICFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def need_redis() -> None:
    """Skip (fail on CI) unless the test Redis answers."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        why = f"Redis at {REDIS_URL} is unreachable ({error}); set CIVICFLOW_TEST_REDIS_URL"
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)


def until(
    condition: Callable[[], Any], *, timeout: float = 60, what: str | Callable[[], str] = ""
) -> Any:
    """Wait for ``condition()`` to be truthy (generous timeout: CI is loaded); its value.
    ``what`` describes it on failure (a callable: evaluated then, with the final state)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"still not true after {timeout} s: {said or condition}")
        time.sleep(0.1)


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


@contextmanager
def two_servers_sharing_redis(
    tmp_path: Path, extra: Mapping[str, str] | None = None
) -> Iterator[tuple[Server, Server, dict[str, str]]]:
    """Two real ``civicflow serve`` processes on one database and the test Redis (the
    UI test definitions and directory); yields both and their environment."""
    need_redis()
    env = clean_env(
        {
            "CIVICFLOW_DATA_DIR": str(tmp_path / "var"),
            "CIVICFLOW_REDIS_URL": REDIS_URL,
            "CIVICFLOW_DEFINITIONS_DIR": str(DATA / "ui" / "definitions"),
            "CIVICFLOW_DIRECTORY_FILE": str(DATA / "ui" / "directory.yaml"),
            **(extra or {}),
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


def post_json(url: str, token: str, body: Any) -> Any:
    """POST ``body`` as JSON with a bearer token to a real server; the parsed answer."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def api_token(env: Mapping[str, str], *args: str) -> str:
    """``civicflow token create ARGS`` in ``env``; the printed token."""
    return civicflow(env, "token", "create", *args).splitlines()[0].strip()
