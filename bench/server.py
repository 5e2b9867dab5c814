"""Which server process carries the web app (and, later, Flask-SocketIO)?

Candidates, each as Flask-SocketIO would run it:

* **gevent** — ``gevent.pywsgi.WSGIServer`` with the standard library patched
  (``async_mode="gevent"``); one OS thread, a greenlet per connection.
* **threading** — werkzeug's threaded server, what ``socketio.run`` uses in
  ``async_mode="threading"`` (with simple-websocket); an OS thread per connection.

Each server runs in its own process with the real app (``create_app``) on a fresh
database; a client process with ``--clients`` threads keeps HTTP/1.1 connections
open and sends requests for ``--seconds`` per scenario:

* ``ceiling`` — a bare WSGI callable returning a constant JSON body (no Flask): what
  the server and the client themselves cost;
* ``json`` — ``/healthz`` through the whole Flask app;
* ``db`` — one query through the app's session (``SELECT count(*) FROM definitions``);
* ``pg_sleep`` (PostgreSQL only) — ``SELECT pg_sleep(0.02)``: 20 ms of waiting on the
  database. It shows whether psycopg 3 waits *cooperatively*: if it blocked the
  gevent hub, the server would answer about 50 requests/s whatever the clients.

    .venv/bin/python bench/server.py [--seconds 5] [--clients 8] [--db sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PG_ADMIN = os.environ.get(
    "CIVICFLOW_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SERVERS = ("gevent", "threading")


# -- the server side (run as a child process) ---------------------------------------------


def run_server(kind: str, port: int, database_url: str) -> None:
    if kind == "gevent":
        from gevent import monkey

        monkey.patch_all()
    from flask import jsonify
    from sqlalchemy import text

    from civicflow.config import Settings
    from civicflow.services import Services
    from web import create_app
    from web.principal import public
    from web.server import bootstrap
    from web.uow import read_session

    settings = Settings.from_env(
        {
            "CIVICFLOW_DATABASE_URL": database_url,
            "CIVICFLOW_DATA_DIR": tempfile.mkdtemp(),
            "CIVICFLOW_RATE_LIMIT_TOKEN": "100000000/minute",  # measure the server, not 429s
            "CIVICFLOW_RATE_LIMIT_ADDRESS": "100000000/minute",
        }
    )
    shared = Services(settings)
    bootstrap(shared, echo=lambda _line: None)
    app = create_app(settings, services=shared)

    @public
    def db_read() -> object:
        with read_session() as session:
            count = session.execute(text("SELECT count(*) FROM definitions")).scalar_one()
        return jsonify(definitions=count)

    @public
    def db_wait() -> object:
        with read_session() as session:
            session.execute(text("SELECT pg_sleep(0.02)"))
        return jsonify(waited=0.02)

    app.add_url_rule("/bench/db", "bench_db", db_read)
    app.add_url_rule("/bench/pg_sleep", "bench_pg_sleep", db_wait)
    body = json.dumps({"status": "ok"}).encode()

    def bare(environ: dict[str, object], start_response: object) -> list[bytes]:
        start_response(  # type: ignore[operator]
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    def dispatch(environ: dict[str, object], start_response: object) -> object:
        if environ.get("PATH_INFO") == "/bare":
            return bare(environ, start_response)
        return app(environ, start_response)  # type: ignore[arg-type]

    if kind == "gevent":
        from web.server import make_server as gevent_server

        gevent_server(dispatch, "127.0.0.1", port).serve_forever()
    else:
        from werkzeug.serving import WSGIRequestHandler, make_server

        WSGIRequestHandler.protocol_version = "HTTP/1.1"  # keep-alive, like the gevent side
        WSGIRequestHandler.log_request = lambda *a, **k: None  # type: ignore[method-assign]
        make_server("127.0.0.1", port, dispatch, threaded=True).serve_forever()  # type: ignore[arg-type]


# -- the client side ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(port: int, process: subprocess.Popen[bytes], limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def load(port: int, path: str, clients: int, seconds: float) -> tuple[float, float, float, int]:
    """Requests/s, p50 and p99 latency (ms), and non-200 answers."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        own = latencies[index]
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            own.append(time.perf_counter() - started)
            if response.status != 200:
                failures[index] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    every = sorted(x for own in latencies for x in own)
    if not every:
        return 0.0, 0.0, 0.0, sum(failures)
    p99 = every[min(len(every) - 1, int(len(every) * 0.99))]
    return len(every) / elapsed, statistics.median(every) * 1000, p99 * 1000, sum(failures)


def _database(kind: str) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp()}/bench.db", None
    from sqlalchemy import create_engine, text

    name = f"civicflow_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    admin.dispose()
    return url, name


def _drop(name: str | None) -> None:
    if name is None:
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        run_server(args.serve, args.port, args.url)
        return
    print(f"{args.clients} keep-alive clients, {args.seconds:g} s per scenario")
    print(f"{'db':10} {'server':9} {'scenario':9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  errors")
    for db_kind in args.db.split(","):
        url, name = _database(db_kind)
        try:
            for server in SERVERS:
                port = _free_port()
                command = [sys.executable, __file__, "--serve", server]
                command += ["--port", str(port), "--url", url]
                process = subprocess.Popen(command, cwd=ROOT)
                try:
                    _wait_ready(port, process)
                    scenarios = [("ceiling", "/bare"), ("json", "/healthz"), ("db", "/bench/db")]
                    if db_kind == "postgresql":
                        scenarios.append(("pg_sleep", "/bench/pg_sleep"))
                    for scenario, path in scenarios:
                        load(port, path, args.clients, 1.0)  # warm up
                        rate, p50, p99, errors = load(port, path, args.clients, args.seconds)
                        print(
                            f"{db_kind:10} {server:9} {scenario:9} {rate:8.0f} {p50:8.1f} "
                            f"{p99:8.1f}  {errors}",
                            flush=True,
                        )
                finally:
                    process.terminate()
                    process.wait(timeout=10)
        finally:
            _drop(name)


if __name__ == "__main__":
    main()
