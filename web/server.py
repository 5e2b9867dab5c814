"""``civicflow serve``: one process that is a whole system on embedded defaults.

The server is gevent's WSGI server, the process model Flask-SocketIO will also run
on (``async_mode="gevent"``); bench/server.py measures it against the threaded
alternative and bench/README.md says why it won. gevent needs the standard library
patched before sockets, threads, ssl or the database driver are used, so the
``serve`` command patches first thing, before it imports ``web`` (whose HTTP client
would otherwise bind the unpatched ``ssl``); benchmarks that serve the app call
``patch()`` the same way.

Before serving, ``bootstrap`` makes the database usable (migrations, the
definitions directory, the demo directory into an empty database); the factory
itself stays free of side effects. Unless ``--no-worker``, one ``Worker`` runs beside
the server (a greenlet, via the patched ``threading``) and stops with it.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from civicflow.services import Services
from workflow import SYSTEM, People, load_directory

__all__ = ["bootstrap", "make_server", "patch", "serve"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

Echo = Callable[[str], None]


def patch() -> None:
    """Make the standard library cooperative (gevent); call before anything else runs
    (``civicflow serve`` does the same inline, before importing ``web``)."""
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        monkey.patch_all()


def bootstrap(services: Services, *, echo: Echo) -> None:
    """Migrate, register the definitions directory, and import the staff directory
    when the database has nobody yet. Each step is safe to repeat.

    The packaged demo directory is imported only on the embedded SQLite default: a
    database the operator configured (CIVICFLOW_DATABASE_URL) gets the people of
    CIVICFLOW_DIRECTORY_FILE, or only those who sign in — never the demo staff."""
    settings = services.settings
    services.db.upgrade()
    echo(f"database: {services.db.engine.url.render_as_string(hide_password=True)} (at head)")
    definitions = sorted(
        [*settings.definitions_dir.glob("*.yaml"), *settings.definitions_dir.glob("*.yml")]
    )
    with services.db.transaction() as session:
        for file in definitions:
            services.engine.register(session, file.read_text(encoding="utf-8"), path=str(file))
        people = People(session)
        demo_elsewhere = settings.directory_is_demo and not settings.embedded
        directory = None if demo_elsewhere else settings.directory_file
        if directory is not None and directory.exists() and not people.anyone():
            result = people.import_directory(
                load_directory(directory), now=services.engine.clock.now(), actor=SYSTEM
            )
            echo(f"imported {result.users_created} people from {directory}")
    echo(f"{len(definitions)} definition(s) registered from {settings.definitions_dir}")


def make_server(app: Any, host: str, port: int) -> Any:
    """gevent's WSGI server with ``TCP_NODELAY`` on every connection: pywsgi writes
    headers and body separately, and Nagle's algorithm with the client's delayed ACK
    would hold every small response back ~40 ms (measured in bench/server.py)."""
    import socket

    from gevent.pywsgi import WSGIServer

    class NoDelayServer(WSGIServer):  # type: ignore[misc]
        def handle(self, sock: socket.socket, address: Any) -> None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().handle(sock, address)

    return NoDelayServer((host, port), app, log=None, error_log=log)


def serve(app: Any, services: Services, *, host: str, port: int, worker: bool, echo: Echo) -> None:
    """Serve ``app`` until SIGINT/SIGTERM (with one worker beside it, if asked)."""
    from civicflow.worker import Worker, default_name, delivery_runner, mailer_from

    stop = threading.Event()
    worker_thread = None
    if worker:
        job_worker = Worker(
            services.db,
            services.engine,
            name=f"{default_name()}/serve",
            mailer=mailer_from(services.settings),
            deliveries=delivery_runner(services.db, services.engine, services.settings),
        )
        worker_thread = threading.Thread(
            target=job_worker.run, args=(stop,), name="civicflow-worker", daemon=True
        )
        worker_thread.start()
    server = make_server(app, host, port)

    def _stop(signum: int, _frame: FrameType | None) -> None:
        echo(f"signal {signum}: stopping")
        stop.set()
        server.stop(timeout=5)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    echo(
        f"Civicflow on http://{host}:{port}/ (API docs: /api/docs)"
        + (", with one worker" if worker else ", no worker")
    )
    server.serve_forever()
    stop.set()
    _close_realtime(app)
    if worker_thread is not None:
        worker_thread.join(timeout=10)


def _close_realtime(app: Any) -> None:
    """Withdraw this process's viewers so colleagues see them leave now, not after the
    presence TTL (a killed process cannot, and relies on the TTL)."""
    from web.realtime import Realtime

    try:
        Realtime.of(app).close()
    except Exception:  # stopping anyway: the TTL cleans up what this could not
        log.exception("realtime close failed")
