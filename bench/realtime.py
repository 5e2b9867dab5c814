"""Live-inbox latency: from an API action to the Socket.IO event arriving, at 1, 100
and 500 connected clients spread over 50 queue rooms, beside the bare Flask-SocketIO
emit -> receive latency measured in the same run (the ceiling).

* **civicflow** — a real ``civicflow serve --no-worker`` (gevent, ``TCP_NODELAY`` on
  every accepted socket) over a fresh database with 50 one-task workflows, one per
  queue ``bench/qNN``, and one person per client, each in one queue (client ``i`` in
  queue ``i % 50``). An action is ``POST /api/v1/instances`` (start a workflow whose
  first task opens in queue ``q``): request -> engine -> commit -> outbox -> emit to
  room ``queue:q``. Latency = arrival at each client of that room - request sent.
* **ceiling** — a bare Flask-SocketIO app on the same gevent server with the same
  rooms and clients; an action is ``GET /emit?room=q``, which emits at once.

Clients are python-socketio ``AsyncClient``s (websocket transport) in one asyncio
loop in this process; actions are sent one at a time with a short pause, so the
figures are latency, not throughput. Each client's first event per level is a warm-up.

The database is the embedded default (a SQLite file in a temporary directory) unless
``--database-url`` names another. A PostgreSQL URL names a database this script
creates and drops at the end (``CREATE``/``DROP DATABASE`` through the server's
``postgres`` database, like bench/engine.py and bench/inbox.py); it refuses one that
already exists, so it never drops data it did not make. Without a database name
(``postgresql+psycopg://postgres@127.0.0.1:5432/``) it makes up
``civicflow_bench_rt_<random>``. A SQLite URL is used as given and kept.

    .venv/bin/python bench/realtime.py [--actions 100] [--clients 1,100,500]
                                       [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUEUES = 50


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not start:\n{log.read_text()}")


# -- the bare Flask-SocketIO server (ceiling) ----------------------------------------------


def bare_server(port: int) -> None:
    from gevent import monkey

    monkey.patch_all()
    from flask import Flask, request
    from flask_socketio import Namespace, SocketIO, join_room

    from web.server import make_server

    app = Flask(__name__)
    socketio = SocketIO(app, async_mode="gevent")

    class Inbox(Namespace):  # type: ignore[misc]
        def on_connect(self, auth: Any = None) -> None:
            join_room(f"queue:bench/q{int(request.args.get('q', 0)):02d}")

    socketio.on_namespace(Inbox("/inbox"))

    @app.get("/emit")
    def emit() -> str:
        room = f"queue:bench/q{int(request.args['q']):02d}"
        socketio.emit("task.created", {"tag": request.args["tag"]}, to=room, namespace="/inbox")
        return "ok"

    @app.get("/readyz")
    def ready() -> str:
        return "ok"

    make_server(app, "127.0.0.1", port).serve_forever()


# -- the civicflow world ------------------------------------------------------------------


def _world(where: Path, people: int) -> tuple[Path, Path]:
    definitions = where / "definitions"
    definitions.mkdir()
    for q in range(QUEUES):
        (definitions / f"bench-q{q:02d}.yaml").write_text(
            f"workflow: bench-q{q:02d}\ntitle: Bench q{q:02d}\nowner: bench\n"
            "departments: {bench: {title: Bench}}\nstart: work\nstates:\n"
            f"  work:\n    task: {{title: Work, queue: bench/q{q:02d}}}\n"
            "    on: {done: finished}\n  finished: {final: true}\n",
            encoding="utf-8",
        )
    groups = ", ".join(f"q{q:02d}" for q in range(QUEUES))
    lines = [f"departments:\n  bench: {{title: Bench, groups: [{groups}]}}\nusers:"]
    for i in range(people):
        lines.append(
            f"  - email: p{i:03d}@bench.example.gov\n    name: P{i:03d}\n"
            f"    queues: [bench/q{i % QUEUES:02d}]"
        )
    directory = where / "directory.yaml"
    directory.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return definitions, directory


def _tokens(db_url: str, people: int) -> tuple[list[str], str]:
    from workflow import ApiTokens, Database

    db = Database(db_url)
    now = datetime.now(UTC)
    secrets = []
    with db.transaction() as session:
        tokens = ApiTokens(session)
        for i in range(people):
            secret, _ = tokens.create(
                f"p{i}",
                scopes=("tasks:act",),
                user=f"p{i:03d}@bench.example.gov",
                created_by="bench",
                now=now,
            )
            secrets.append(secret)
        starter, _ = tokens.create(
            "starter", scopes=("instances:start",), user=None, created_by="bench", now=now
        )
    db.dispose()
    return secrets, starter


@contextmanager
def _database(url: str | None, where: Path) -> Iterator[tuple[str, bool]]:
    """The URL to serve from, and whether it is the embedded default. A PostgreSQL
    database is created here (refused if it exists) and dropped afterwards."""
    if url is None:
        yield f"sqlite:///{where / 'var' / 'civicflow.db'}", True
        return
    from sqlalchemy import create_engine, make_url, text

    parsed = make_url(url)
    if not parsed.get_backend_name().startswith("postgresql"):
        yield url, False
        return
    name = parsed.database or f"civicflow_bench_rt_{uuid.uuid4().hex[:8]}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            taken = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if taken:
                raise SystemExit(
                    f"database {name!r} exists: name one this benchmark may create and drop"
                )
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield parsed.set(database=name).render_as_string(hide_password=False), False
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# -- measuring -----------------------------------------------------------------------------


async def _measure(
    url: str, clients: int, actions: int, *, tokens: list[str] | None, starter: str | None
) -> list[float]:
    import aiohttp
    import socketio

    arrivals: dict[str, list[float]] = {}

    def on_event(data: dict[str, Any]) -> None:
        now = time.perf_counter()
        tag = data.get("tag") or (data.get("task") or {}).get("instance_id")
        arrivals.setdefault(str(tag), []).append(now)

    sockets = []
    for i in range(clients):
        client = socketio.AsyncClient(reconnection=False)
        client.on("task.created", on_event, namespace="/inbox")
        headers = {"Authorization": f"Bearer {tokens[i]}"} if tokens else {}
        sockets.append(client)
        await client.connect(
            f"{url}?q={i % QUEUES}",
            headers=headers,
            namespaces=["/inbox"],
            transports=["websocket"],
            wait_timeout=30,
        )
    members = [sum(1 for i in range(clients) if i % QUEUES == q) for q in range(QUEUES)]
    rooms = [q for q in range(QUEUES) if members[q]]
    latencies: list[float] = []
    responses: list[float] = []
    async with aiohttp.ClientSession() as http:
        for n in range(actions + len(rooms)):  # the first round per room warms up
            q = rooms[n % len(rooms)]
            sent = time.perf_counter()
            if starter:
                async with http.post(
                    f"{url}/api/v1/instances",
                    json={"workflow": f"bench-q{q:02d}", "input": {}},
                    headers={"Authorization": f"Bearer {starter}"},
                ) as answer:
                    tag = str((await answer.json())["id"])
                if n >= len(rooms):
                    responses.append((time.perf_counter() - sent) * 1000)
            else:
                tag = f"a{n}"
                async with http.get(f"{url}/emit", params={"q": str(q), "tag": tag}) as answer:
                    await answer.read()
            deadline = time.perf_counter() + 5
            while len(arrivals.get(tag, [])) < members[q] and time.perf_counter() < deadline:
                await asyncio.sleep(0.0005)
            got = arrivals.get(tag, [])
            if len(got) < members[q]:
                print(f"  lost: {members[q] - len(got)} of {members[q]} for {tag}", file=sys.stderr)
            if n >= len(rooms):
                latencies.extend((t - sent) * 1000 for t in got)
            await asyncio.sleep(0.005)
    for client in sockets:
        await client.disconnect()
    if responses:
        print(f"{clients:4d} clients  API response alone   {_figures(responses)}")
    return latencies


def _figures(latencies: list[float]) -> str:
    if not latencies:
        return "no events"
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered):6.1f} ms  p99 {p99:6.1f} ms  (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actions", type=int, default=100)
    parser.add_argument("--clients", default="1,100,500")
    parser.add_argument(
        "--database-url",
        help="default: the embedded SQLite file; a PostgreSQL URL names a database "
        "this script creates and drops (it must not exist)",
    )
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.bare_server:
        bare_server(options.bare_server)
        return
    levels = [int(c) for c in options.clients.split(",")]
    people = max(levels)
    with (
        tempfile.TemporaryDirectory() as tmp,
        _database(options.database_url, Path(tmp)) as (db_url, embedded),
    ):
        where = Path(tmp)
        definitions, directory = _world(where, people)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICFLOW_")}
        env.update(
            CIVICFLOW_DATA_DIR=str(where / "var"),
            CIVICFLOW_DEFINITIONS_DIR=str(definitions),
            CIVICFLOW_DIRECTORY_FILE=str(directory),
        )
        if not embedded:
            env["CIVICFLOW_DATABASE_URL"] = db_url
        port, bare_port = _free_port(), _free_port()
        logs = (where / "serve.log").open("w"), (where / "bare.log").open("w")
        serve = ["serve", "--no-worker", "--no-dev-idp", "--port", str(port)]
        civicflow = subprocess.Popen(
            [sys.executable, "-m", "civicflow", *serve],
            cwd=ROOT,
            env=env,
            stdout=logs[0],
            stderr=subprocess.STDOUT,
        )
        bare = subprocess.Popen(
            [sys.executable, __file__, "--bare-server", str(bare_port)],
            cwd=ROOT,
            env=env,
            stdout=logs[1],
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_ready(f"http://127.0.0.1:{port}/readyz", civicflow, where / "serve.log")
            _wait_ready(f"http://127.0.0.1:{bare_port}/readyz", bare, where / "bare.log")
            tokens, starter = _tokens(db_url, people)
            backend = db_url.split(":", 1)[0].split("+", 1)[0]
            print(
                f"{options.actions} actions per level, {QUEUES} queue rooms, gevent, "
                f"TCP_NODELAY, {backend}"
            )
            for clients in levels:
                ceiling = asyncio.run(
                    _measure(
                        f"http://127.0.0.1:{bare_port}",
                        clients,
                        options.actions,
                        tokens=None,
                        starter=None,
                    )
                )
                real = asyncio.run(
                    _measure(
                        f"http://127.0.0.1:{port}",
                        clients,
                        options.actions,
                        tokens=tokens,
                        starter=starter,
                    )
                )
                print(f"{clients:4d} clients  ceiling (bare emit)  {_figures(ceiling)}")
                print(f"{clients:4d} clients  API action -> event  {_figures(real)}")
        finally:
            for process in (civicflow, bare):
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=15)


if __name__ == "__main__":
    main()
