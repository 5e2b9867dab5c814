"""Presence: who is looking at a task right now, per socket, in this process.

A task page's socket says ``viewing`` with the task id; the socket's disconnect (or
``left``) removes it. Who *holds* a task is not presence but the task's assignee,
which every task event carries. Kept in process memory: with several web processes
each announces its own viewers (documented limitation; holding is always exact).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

__all__ = ["Presence", "Viewer"]


@dataclass(frozen=True, slots=True)
class Viewer:
    sid: str
    email: str
    name: str


@dataclass
class Presence:
    _viewing: dict[str, dict[str, Viewer]] = field(default_factory=dict)  # task -> sid -> who
    _where: dict[str, str] = field(default_factory=dict)  # sid -> task
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def view(self, task_id: str, viewer: Viewer) -> str | None:
        """``viewer`` now looks at ``task_id``; returns the task it left, if another."""
        with self._lock:
            left = self._leave(viewer.sid)
            self._viewing.setdefault(task_id, {})[viewer.sid] = viewer
            self._where[viewer.sid] = task_id
            return left if left != task_id else None

    def leave(self, sid: str) -> str | None:
        """The socket ``sid`` looks at nothing any more; returns the task it left."""
        with self._lock:
            return self._leave(sid)

    def viewers(self, task_id: str) -> list[dict[str, str]]:
        """Who looks at ``task_id`` (each person once), sorted by name."""
        with self._lock:
            people = {v.email: v.name for v in self._viewing.get(task_id, {}).values()}
        return [{"email": e, "name": n} for e, n in sorted(people.items(), key=lambda p: p[1])]

    def _leave(self, sid: str) -> str | None:
        task_id = self._where.pop(sid, None)
        if task_id is not None:
            sockets = self._viewing.get(task_id, {})
            sockets.pop(sid, None)
            if not sockets:
                self._viewing.pop(task_id, None)
        return task_id
