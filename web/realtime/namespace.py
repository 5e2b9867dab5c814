"""The ``/inbox`` Socket.IO namespace: who may listen, and to what.

A connection is authenticated exactly like a request — by the app's authenticators
(``web.principal``: the browser session's cookie, or an API token acting for a
person) — and refused with ``ConnectionRefusedError`` otherwise. It then joins the
room of its person and one room per queue of that person; it never chooses rooms
itself. Events reach it only through those rooms (``web.realtime.rooms``).

The client may say which task it is looking at (``viewing``/``left``); the server
checks the task is within the person's department boundary before it announces the
viewer to that task's queue (``presence``). Every announcement carries the task's
full viewer list read from the presence store — shared by all web processes when
it is Redis — and is emitted through the same ``SocketIO`` (so through the Redis
message queue, when configured) to the queue's room in every process.

A store that needs a heartbeat (``Presence.beat_interval``) gets it from one
background task per process, started with the first connection: it beats, and
announces the tasks whose viewers vanished because their process did.
``close()`` stops it and withdraws this process's viewers (graceful shutdown).
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, Namespace, join_room

from civicflow.services import Services
from web.principal import Authentication, Principal
from web.realtime.presence import Presence, PresenceError, Viewer
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
        self._beating = False
        self._start_lock = threading.Lock()
        self._stopping = threading.Event()

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
        self._start_beating()

    def on_disconnect(self, reason: Any = None) -> None:
        sid: str = request.sid  # type: ignore[attr-defined]
        self.people.pop(sid, None)
        self._leave(sid)

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
        viewer = Viewer(sid=sid, email=actor.id, name=actor.name)
        try:
            left = self.presence.view(str(task_id), viewer)
        except PresenceError as error:
            log.warning("presence not recorded: %s", error)
            return
        if left is not None:
            self.announce(left)
        self.announce(str(task_id))

    def on_left(self, data: Any = None) -> None:
        sid: str = request.sid  # type: ignore[attr-defined]
        self._leave(sid)

    def disconnect_sessions(self, session_ids: list[str]) -> None:
        """End the sockets of signed-out sessions (the back-channel logout hook)."""
        ended = set(session_ids)
        for sid, (principal, _) in list(self.people.items()):
            if principal.kind == "session" and principal.id in ended:
                self.disconnect(sid, namespace=self.namespace)

    def announce(self, task_id: str) -> None:
        """Tell the task's queue, in every process, who views the task now."""
        try:
            with self.services.db.sessions() as session:
                task = find_task(session, uuid.UUID(task_id), viewer=None)
                session.rollback()
        except CivicflowError:
            return
        try:
            viewers = self.presence.viewers(task_id)
        except PresenceError as error:
            log.warning("presence not announced: %s", error)
            return
        self.emit("presence", {"task_id": task_id, "viewers": viewers}, room=queue_room(task.queue))

    def close(self) -> None:
        """Stop the heartbeat and withdraw this process's viewers (shutdown)."""
        self._stopping.set()
        try:
            gone = self.presence.close()
        except PresenceError as error:
            log.warning("presence not withdrawn (it expires by itself): %s", error)
            return
        for task_id in gone:
            self.announce(task_id)

    # -- internals ----------------------------------------------------------------------

    def _leave(self, sid: str) -> None:
        try:
            left = self.presence.leave(sid)
        except PresenceError as error:
            log.warning("presence not cleared (it expires with the process): %s", error)
            return
        if left is not None:
            self.announce(left)

    def _start_beating(self) -> None:
        """The first connection starts the heartbeat; its first beat happens here, so
        this process counts as alive before its first socket says what it views."""
        if self.presence.beat_interval is None:
            return
        with self._start_lock:
            if self._beating or self._stopping.is_set():
                return
            self._beating = True
        self._beat_once()
        self.socketio.start_background_task(self._beat_forever)

    def _beat_forever(self) -> None:
        interval = self.presence.beat_interval
        while interval is not None and not self._stopping.wait(interval):
            self._beat_once()

    def _beat_once(self) -> None:
        try:
            for task_id in self.presence.beat():
                self.announce(task_id)
        except PresenceError as error:
            log.warning("presence heartbeat failed: %s", error)
        except Exception:  # never let the heartbeat die: presence would vanish
            log.exception("presence heartbeat failed")

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


def _task_id(data: Any) -> uuid.UUID | None:
    raw = data.get("task_id") if isinstance(data, dict) else None
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None
