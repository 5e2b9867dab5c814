"""Webhook ingest through the web app, beside its ceiling, in the same run.

Scenarios, each served by the chosen server (gevent, ``web.server.make_server``) in a
child process on a fresh database, and driven by ``--clients`` keep-alive client
threads for ``--seconds``:

* ``ceiling`` — a bare Flask endpoint (its own ``Flask`` app, no blueprint, no
  principal, no engine) that does what ingest cannot skip: read the body, verify the
  Standard Webhooks signature, parse the JSON and INSERT one row (a receipt) in one
  transaction;
* ``start`` — the same bare endpoint, but instead of the INSERT it calls
  ``Engine.start`` with the input mapped by hand: the floor the engine itself sets,
  so ``ingest / start`` is what the hooks adapter costs on top of the engine;
* ``ingest`` — ``POST /hooks/bench-portal`` through the whole app: signature,
  receipt, trigger lookup, JSONPath mapping, ``Engine.start`` (instance, task, due
  timer, audit record, outbox row, input index), one transaction per request.

Every request is a new message (its own ``webhook-id`` and business key), signed by
the client just before it is sent; the client's signing costs both scenarios the same.
Target: ingest >= 0.5 x ceiling.

    .venv/bin/python bench/ingest.py [--seconds 5] [--clients 8] [--db sqlite,postgresql]
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
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get(
    "CIVICFLOW_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SECRET = "whsec_QmVuY2htYXJrU2VjcmV0Rm9yV2ViaG9va3NPbmx5IQ=="
SOURCE = "bench-portal"


# -- the server side (run as a child process) ---------------------------------------------


def run_server(port: int, database_url: str) -> None:
    from gevent import monkey

    monkey.patch_all()
    from flask import Flask, request
    from sqlalchemy import text

    from civicflow.config import Settings
    from civicflow.services import Services
    from integrations.signatures import secret_key, verify
    from web import create_app
    from web.server import bootstrap, make_server
    from workflow import SYSTEM

    env = {
        "CIVICFLOW_DATABASE_URL": database_url,
        "CIVICFLOW_DATA_DIR": tempfile.mkdtemp(),
        "CIVICFLOW_DEFINITIONS_DIR": tempfile.mkdtemp(),
        "CIVICFLOW_WEBHOOK_SECRET_BENCH_PORTAL": SECRET,
    }
    (Path(env["CIVICFLOW_DEFINITIONS_DIR"]) / "webhook.yaml").write_text(
        (HERE / "webhook.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    settings = Settings.from_env(env)
    shared = Services(settings)
    bootstrap(shared, echo=lambda _line: None)
    app = create_app(settings, services=shared)

    bare = Flask("bare")
    keys = (secret_key(SECRET),)
    receipt = text(
        "INSERT INTO webhook_receipts (source, webhook_id, received_at, status, response) "
        "VALUES (:source, :webhook_id, :received_at, :status, :response)"
    )

    @bare.post("/bare/<source>")
    def bare_hook(source: str) -> tuple[str, int]:
        body = request.get_data()
        now = shared.engine.clock.now()
        message_id = verify(keys, request.headers, body, now)
        payload = json.loads(body)
        with shared.db.transaction() as session:
            session.execute(
                receipt,
                {
                    "source": source,
                    "webhook_id": message_id,
                    "received_at": now.replace(tzinfo=None),
                    "status": 201,
                    "response": json.dumps({"application_id": payload["application_id"]}),
                },
            )
        return "", 201

    @bare.post("/start/<source>")
    def bare_start(source: str) -> tuple[str, int]:
        body = request.get_data()
        verify(keys, request.headers, body, shared.engine.clock.now())
        payload = json.loads(body)
        with shared.db.transaction() as session:
            shared.engine.start(
                session,
                workflow="portal-intake",
                input={
                    "applicant": payload["applicant"]["name"],
                    "address": payload["site"]["address"],
                },
                actor=SYSTEM,
                business_key=payload["application_id"],
            )
        return "", 201

    def dispatch(environ: dict[str, object], start_response: object) -> object:
        path = str(environ.get("PATH_INFO", ""))
        target = bare if path.startswith(("/bare/", "/start/")) else app
        return target(environ, start_response)  # type: ignore[arg-type]

    make_server(dispatch, "127.0.0.1", port).serve_forever()


# -- the client side ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(port: int, process: subprocess.Popen[bytes], limit: float = 90) -> None:
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


def _message() -> tuple[bytes, dict[str, str]]:
    from integrations.signatures import signed_headers

    key = uuid.uuid4().hex
    body = json.dumps(
        {
            "application_id": f"B-{key}",
            "applicant": {"name": "Jo Doe"},
            "site": {"address": "1 Main St"},
        }
    ).encode()
    headers = signed_headers([SECRET], f"msg_{key}", int(time.time()), body)
    return body, headers | {"Content-Type": "application/json"}


def load(port: int, path: str, clients: int, seconds: float) -> tuple[float, float, float, int]:
    """Requests/s, p50 and p99 latency (ms), and answers other than 201."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        own = latencies[index]
        while time.monotonic() < stop_at:
            body, headers = _message()
            started = time.perf_counter()
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            own.append(time.perf_counter() - started)
            if response.status != 201:
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
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        run_server(args.port, args.url)
        return
    print(f"gevent server, {args.clients} keep-alive clients, {args.seconds:g} s per scenario")
    print(f"{'db':10} {'scenario':9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  errors  ratio")
    for db_kind in args.db.split(","):
        url, name = _database(db_kind)
        port = _free_port()
        command = [sys.executable, __file__, "--serve", "--port", str(port), "--url", url]
        process = subprocess.Popen(command, cwd=ROOT)
        try:
            _wait_ready(port, process)
            rates: dict[str, float] = {}
            scenarios = (
                ("ceiling", f"/bare/{SOURCE}"),
                ("start", f"/start/{SOURCE}"),
                ("ingest", f"/hooks/{SOURCE}"),
            )
            for scenario, path in scenarios:
                load(port, path, args.clients, 1.0)  # warm up
                rate, p50, p99, errors = load(port, path, args.clients, args.seconds)
                rates[scenario] = rate
                ratio = f"{rate / rates['ceiling']:.2f}" if scenario != "ceiling" else ""
                print(
                    f"{db_kind:10} {scenario:9} {rate:8.0f} {p50:8.1f} {p99:8.1f}  "
                    f"{errors:6}  {ratio}",
                    flush=True,
                )
        finally:
            process.terminate()
            process.wait(timeout=10)
            _drop(name)


if __name__ == "__main__":
    main()
