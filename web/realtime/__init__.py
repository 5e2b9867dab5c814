"""The live inbox: Socket.IO on ``/inbox``, fed from the engine's outbox after commit.

``install(app, services)`` makes the app's ``SocketIO`` (``SocketIO()`` then
``init_app``; nothing at import), registers the ``/inbox`` namespace and subscribes a
``Publisher`` to the database's commits (``Database.on_commit``): whatever a request,
the in-process worker or a command commits in this process is emitted right after
the commit, to the rooms ``web.realtime.rooms`` chooses, as the same typed events
outbound webhooks carry. With ``CIVICFLOW_REDIS_URL`` the emits go through Redis so
every web process reaches its own clients; a separate worker process uses
``emitter(settings)``, a write-only ``SocketIO(message_queue=...)``. Without Redis
the emits stay in this process.

Presence (who views a task) follows the same rule: ``presence_for(settings)`` gives
the Redis-backed store when ``CIVICFLOW_REDIS_URL`` is set — every process reads and
writes the same viewers, a dead process's viewers expire after
``CIVICFLOW_PRESENCE_TTL_SECONDS`` — and the in-memory one otherwise
(``web.realtime.presence``). ``Realtime.close()`` withdraws this process's viewers
when ``civicflow serve`` stops.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask_socketio import SocketIO

from civicflow.config import Settings
from civicflow.services import Services
from web.realtime.namespace import InboxNamespace
from web.realtime.presence import MemoryPresence, Presence
from web.realtime.rooms import NAMESPACE, rooms_for

__all__ = ["CHANNEL", "NAMESPACE", "Publisher", "Realtime", "emitter", "install", "presence_for"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

CHANNEL = "civicflow-socketio"
EXTENSION = "civicflow.realtime"


class Publisher:
    """Emits committed outbox events to their rooms (web process or worker)."""

    def __init__(self, socketio: SocketIO) -> None:
        self.socketio = socketio

    def publish(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            rooms = rooms_for(event)
            if rooms:
                self.socketio.emit(str(event["type"]), event, to=rooms, namespace=NAMESPACE)


@dataclass
class Realtime:
    socketio: SocketIO
    namespace: InboxNamespace
    publisher: Publisher
    unsubscribe: Callable[[], None]

    @staticmethod
    def of(app: Flask) -> Realtime:
        found: Realtime = app.extensions[EXTENSION]
        return found

    @staticmethod
    def installed(app: Flask) -> Realtime | None:
        """The app's realtime layer, or None when it has none (pages then render
        without presence rather than fail)."""
        found: Realtime | None = app.extensions.get(EXTENSION)
        return found

    @property
    def presence(self) -> Presence:
        """The store the namespace announces from: pages read the same viewers."""
        return self.namespace.presence

    def close(self) -> None:
        """The process stops: no more emits on commit; its viewers leave now (rather
        than when their heartbeat expires)."""
        self.unsubscribe()
        self.namespace.close()


def async_mode() -> str:
    """gevent when ``civicflow serve`` patched the process for it, threads otherwise
    (tests, the Flask development server)."""
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


def install(app: Flask, services: Services) -> Realtime:
    settings = services.settings
    socketio = SocketIO()
    socketio.init_app(
        app,
        async_mode=async_mode(),
        message_queue=settings.redis_url,
        channel=CHANNEL,
        manage_session=False,
        ping_interval=10,
        ping_timeout=10,
    )
    namespace = InboxNamespace(NAMESPACE, services, presence_for(settings))
    socketio.on_namespace(namespace)
    publisher = Publisher(socketio)
    unsubscribe = services.db.on_commit(publisher.publish)
    realtime = Realtime(socketio, namespace, publisher, unsubscribe)
    app.extensions[EXTENSION] = realtime
    auth = app.extensions.get("civicflow.auth")  # the SSO surface, when installed first
    if auth is not None and hasattr(auth, "on_sessions_ended"):
        auth.on_sessions_ended.append(namespace.disconnect_sessions)  # back-channel logout
    return realtime


def presence_for(settings: Settings) -> Presence:
    """Shared through Redis when configured (any process sees every viewer), in this
    process's memory otherwise. Connects lazily: nothing touches Redis before this
    process's first socket connects (and starts the heartbeat)."""
    if not settings.redis_url:
        return MemoryPresence()
    from web.realtime.presence_redis import RedisPresence

    return RedisPresence.from_url(settings.redis_url, ttl=settings.presence_ttl_seconds)


def emitter(settings: Settings) -> Publisher | None:
    """A write-only publisher for a process without sockets (``civicflow worker``):
    through Redis when configured; None otherwise (no client could be reached)."""
    if not settings.redis_url:
        return None
    return Publisher(SocketIO(message_queue=settings.redis_url, channel=CHANNEL))
