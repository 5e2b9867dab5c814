"""Presence: who is looking at a task right now, one entry per socket.

A task page's socket says ``viewing`` with the task id; the socket's disconnect (or
``left``) removes it. Who *holds* a task is not presence but the task's assignee,
which every task event carries.

Two stores keep the same promise (``Presence``): ``MemoryPresence`` (this module)
keeps the viewers in the process — right for a single ``civicflow serve`` — and
``RedisPresence`` (``web.realtime.presence_redis``) keeps them in Redis when
``CIVICFLOW_REDIS_URL`` is set, so a person viewing a task through one web process
is seen by colleagues connected to any other. ``web.realtime.install`` picks one
from the settings. A socket lives in one process, so which task a socket views is
always known locally; only the list of viewers per task has to be shared.

A store whose process may die without saying so (SIGKILL, a lost machine) needs a
heartbeat: ``beat_interval`` says how often the namespace calls ``beat()``, which
also returns the tasks whose viewers changed behind the namespace's back (another
process's viewers expired), so their queues hear about it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["MemoryPresence", "Presence", "PresenceError", "Viewer", "people"]


@dataclass(frozen=True, slots=True)
class Viewer:
    sid: str
    email: str
    name: str


class PresenceError(Exception):
    """The shared store could not be reached; presence is best-effort, so callers
    log it and go on (the socket and the task's events are unaffected)."""


class Presence(Protocol):
    """Who views which task, per socket; each method is atomic for the store."""

    @property
    def beat_interval(self) -> float | None:
        """Seconds between ``beat()`` calls; None when the store needs none."""
        ...

    def view(self, task_id: str, viewer: Viewer) -> str | None:
        """``viewer`` now looks at ``task_id``; returns the task it left, if another."""
        ...

    def leave(self, sid: str) -> str | None:
        """The socket ``sid`` looks at nothing any more; returns the task it left."""
        ...

    def viewers(self, task_id: str) -> list[dict[str, str]]:
        """Who looks at ``task_id`` (each person once, however many tabs), by name."""
        ...

    def viewers_of(self, task_ids: Sequence[str]) -> dict[str, list[dict[str, str]]]:
        """``viewers()`` of every task of a page at once (one read of the store, so a
        page that renders who views its rows costs one round trip, not one per row);
        every asked task is a key, with ``[]`` when nobody views it."""
        ...

    def beat(self) -> list[str]:
        """Say this process is alive and drop the viewers of processes that are not;
        returns the tasks whose viewers changed that way."""
        ...

    def close(self) -> list[str]:
        """Forget this process's viewers (it stops); returns the tasks they viewed."""
        ...


def people(viewers: list[Viewer]) -> list[dict[str, str]]:
    """Each person once (two tabs are one viewer), sorted by name then e-mail."""
    found = {v.email: v.name for v in viewers}
    return [{"email": e, "name": n} for e, n in sorted(found.items(), key=lambda p: (p[1], p[0]))]


@dataclass
class MemoryPresence:
    """Presence in this process's memory (no ``CIVICFLOW_REDIS_URL``: one process)."""

    _viewing: dict[str, dict[str, Viewer]] = field(default_factory=dict)  # task -> sid -> who
    _where: dict[str, str] = field(default_factory=dict)  # sid -> task
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def beat_interval(self) -> float | None:
        return None  # it dies with the process that holds its sockets

    def view(self, task_id: str, viewer: Viewer) -> str | None:
        with self._lock:
            left = self._leave(viewer.sid)
            self._viewing.setdefault(task_id, {})[viewer.sid] = viewer
            self._where[viewer.sid] = task_id
            return left if left != task_id else None

    def leave(self, sid: str) -> str | None:
        with self._lock:
            return self._leave(sid)

    def viewers(self, task_id: str) -> list[dict[str, str]]:
        with self._lock:
            return people(list(self._viewing.get(task_id, {}).values()))

    def viewers_of(self, task_ids: Sequence[str]) -> dict[str, list[dict[str, str]]]:
        with self._lock:
            return {t: people(list(self._viewing.get(t, {}).values())) for t in task_ids}

    def beat(self) -> list[str]:
        return []

    def close(self) -> list[str]:
        with self._lock:
            tasks = sorted(self._viewing)
            self._viewing.clear()
            self._where.clear()
            return tasks

    def _leave(self, sid: str) -> str | None:
        task_id = self._where.pop(sid, None)
        if task_id is not None:
            sockets = self._viewing.get(task_id, {})
            sockets.pop(sid, None)
            if not sockets:
                self._viewing.pop(task_id, None)
        return task_id
