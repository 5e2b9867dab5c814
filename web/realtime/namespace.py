"""The ``/inbox`` Socket.IO namespace: who may listen, and to what.

A connection is authenticated exactly like a request — by the app's authenticators
(``web.principal``: the browser session's cookie, or an API token acting for a
person) — and refused with ``ConnectionRefusedError`` otherwise. It then joins the
room of its person and one room per queue of that person; it never chooses rooms
itself. Events reach it only through those rooms (``web.realtime.rooms``).

The client may say which task it is looking at (``viewing``/``left``); the server
checks the task is within the person's department boundary before it announces the
viewer to that task's queue (``presence``).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, Namespace, join_room

from civicflow.services import Services
from web.principal import Authentication, Principal
from web.realtime.presence import Presence, Viewer
from web.realtime.rooms import queue_room, user_room
from workflow import Actor, CivicflowError, find_task

__all__ = ["InboxNamespace"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())


class InboxNamespace(Namespace):  # type: ignore[misc]
    def __init__(self, namespace: str, services: Services, presence: Presence) -> None:
        super().__init__(namespace)
        self.services = services
        self.presence = presence
        self.people: dict[str, tuple[Principal, Actor]] = {}  # sid -> who is connected

    # -- connection ---------------------------------------------------------------------

    def on_connect(self, auth: Any = None) -> None:
        principal = self._authenticate()
        if principal is None or principal.user is None:
            raise ConnectionRefusedError("sign in first: the live inbox needs a signed-in person")
        with self.services.db.sessions() as session:
            actor = principal.actor(session)
            session.rollback()
        sid: str = request.sid  # type: ignore[attr-defined]
        self.people[sid] = (principal, actor)
        join_room(user_room(actor.id))
        for queue in sorted(actor.queues):
            join_room(queue_room(queue))

    def on_disconnect(self, reason: Any = None) -> None:
        sid: str = request.sid  # type: ignore[attr-defined]
        self.people.pop(sid, None)
        left = self.presence.leave(sid)
        if left is not None:
            self._announce(left)

    # -- presence -----------------------------------------------------------------------

    def on_viewing(self, data: Any) -> None:
        sid: str = request.sid  # type: ignore[attr-defined]
        task_id = _task_id(data)
        found = self.people.get(sid)
        if found is None or task_id is None:
            return
        _, actor = found
        try:
            with self.services.db.sessions() as session:
                find_task(session, task_id, viewer=actor)
                session.rollback()
        except CivicflowError:
            return  # not theirs to see: say nothing, reveal nothing
        left = self.presence.view(str(task_id), Viewer(sid=sid, email=actor.id, name=actor.name))
        if left is not None:
            self._announce(left)
        self._announce(str(task_id))

    def on_left(self, data: Any = None) -> None:
        sid: str = request.sid  # type: ignore[attr-defined]
        left = self.presence.leave(sid)
        if left is not None:
            self._announce(left)

    def disconnect_sessions(self, session_ids: list[str]) -> None:
        """End the sockets of signed-out sessions (the back-channel logout hook)."""
        ended = set(session_ids)
        for sid, (principal, _) in list(self.people.items()):
            if principal.kind == "session" and principal.id in ended:
                self.disconnect(sid, namespace=self.namespace)

    # -- internals ----------------------------------------------------------------------

    def _authenticate(self) -> Principal | None:
        authentication = Authentication.of(current_app)
        for authenticator in authentication.authenticators:
            try:
                principal = authenticator(request, self.services)
            except CivicflowError:
                return None
            except Exception as error:  # a bad credential raises its problem: refuse
                log.info("socket refused: %s", error)
                return None
            if principal is not None:
                return principal
        return None

    def _announce(self, task_id: str) -> None:
        try:
            with self.services.db.sessions() as session:
                task = find_task(session, uuid.UUID(task_id), viewer=None)
                session.rollback()
        except CivicflowError:
            return
        self.emit(
            "presence",
            {"task_id": task_id, "viewers": self.presence.viewers(task_id)},
            room=queue_room(task.queue),
        )


def _task_id(data: Any) -> uuid.UUID | None:
    raw = data.get("task_id") if isinstance(data, dict) else None
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None
