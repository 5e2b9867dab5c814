"""Presence across two real ``civicflow serve`` processes sharing one database and one
Redis: a colleague connected to one process sees who views a task through the
other, sees them leave, and sees them vanish when their process is killed (-9, no
goodbye) once the presence TTL has passed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import socketio

from tests.realtime_support import REDIS_URL, api_token, post_json, two_servers_sharing_redis, until
from tests.servers import Server
from web.realtime.presence_redis import PREFIX, RedisPresence

ANA = {"email": "ana@planning.example.gov", "name": "Ana Ortiz"}
BEN = {"email": "ben@planning.example.gov", "name": "Ben Okafor"}
TTL_SECONDS = 3  # short, so the killed process's viewer goes soon; waits are by condition


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[Server, Server, dict[str, str]]]:
    with two_servers_sharing_redis(
        tmp_path, {"CIVICFLOW_PRESENCE_TTL_SECONDS": str(TTL_SECONDS)}
    ) as servers:
        yield servers


class Listener:
    """A person's socket on one process; keeps the ``presence`` events it hears."""

    def __init__(self, server: Server, token: str) -> None:
        self.heard: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.client = socketio.Client(reconnection=False)
        self.client.on("presence", self._presence, namespace="/inbox")
        self.client.connect(
            server.url,
            namespaces=["/inbox"],
            headers={"Authorization": f"Bearer {token}"},
            transports=["websocket"],
            wait_timeout=10,
        )

    def _presence(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.heard.append(data)

    def view(self, task: str) -> None:
        self.client.emit("viewing", {"task_id": task}, namespace="/inbox")

    def last_viewers(self, task: str) -> list[dict[str, str]] | None:
        with self.lock:
            found = [e["viewers"] for e in self.heard if e["task_id"] == task]
        return found[-1] if found else None

    def sees(self, task: str, viewers: list[dict[str, str]]) -> None:
        until(
            lambda: self.last_viewers(task) == viewers,
            what=lambda: f"presence of {task} == {viewers}; heard {self.heard}",
        )

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


@pytest.mark.slow
def test_a_viewer_on_one_process_is_seen_from_the_other_until_they_go(
    two_servers: tuple[Server, Server, dict[str, str]],
) -> None:
    first, second, env = two_servers
    integration = api_token(env, "starter", "--scope", "instances:start")
    ana_token = api_token(env, "ana", "--scope", "tasks:act", "--user", ANA["email"])
    ben_token = api_token(env, "ben", "--scope", "tasks:act", "--user", BEN["email"])
    started = post_json(
        f"{second.url}/api/v1/instances",
        integration,
        {"workflow": "inspection", "input": {"applicant": "Jo", "address": "1 Main St"}},
    )
    task = next(t["id"] for t in started["tasks"] if t["state"] == "inspect")
    client = redis.Redis.from_url(REDIS_URL)
    store = RedisPresence(client, ttl=TTL_SECONDS)  # reads the store the servers share
    processes: set[str] = set()
    listeners: list[Listener] = []
    try:
        ben = Listener(second, ben_token)
        listeners.append(ben)
        ben.view(task)
        ben.sees(task, [BEN])

        # Ana views through the first process; its announcement carries the shared list.
        ana = Listener(first, ana_token)
        listeners.append(ana)
        ana.view(task)
        ben.sees(task, [ANA, BEN])
        ana.sees(task, [ANA, BEN])
        assert store.viewers(task) == [ANA, BEN]
        processes |= {f.decode().split(":")[0] for f in client.hkeys(f"{PREFIX}task:{task}")}
        assert len(processes) == 2  # one field per process: each wrote its own viewer

        ana.close()  # a goodbye: the first process withdraws her at once
        ben.sees(task, [BEN])
        assert store.viewers(task) == [BEN]

        again = Listener(first, ana_token)
        listeners.append(again)
        again.view(task)
        ben.sees(task, [ANA, BEN])

        first.process.kill()  # type: ignore[union-attr]  # SIGKILL: no disconnect, no goodbye
        first.process.wait()  # type: ignore[union-attr]
        ben.sees(task, [BEN])  # the second process swept her after the TTL
        assert store.viewers(task) == [BEN]
    finally:
        for listener in listeners:
            listener.close()
        first.stop()
        second.stop()  # a graceful stop withdraws Ben
        leftovers = [
            key
            for key in [f"{PREFIX}task:{task}", *(f"{PREFIX}process:{p}" for p in processes)]
            if client.exists(key)
        ]
        leftover_processes = [p for p in processes if client.zscore(f"{PREFIX}alive", p)]
        for key in leftovers:
            client.delete(key)
        for process in leftover_processes:
            client.zrem(f"{PREFIX}alive", process)
        client.close()
    assert (leftovers, leftover_processes) == ([], [])  # the processes cleaned up after themselves
