"""The web API beside its ceilings, in the same run on the same database.

For each database, one child process serves the app the way ``civicflow serve`` does
(gevent, ``web.server.make_server``, no worker) together with two bare Flask
endpoints, and this process measures two parts:

**ingest** — a signed webhook → instance started, driven by ``--clients`` keep-alive
client threads for ``--seconds`` per scenario, every request a new message (its own
``webhook-id`` and business key) signed by the client just before it is sent:

* ``ceiling`` — a bare Flask endpoint (its own ``Flask`` app, no blueprint, no
  principal, no engine) doing what ingest cannot skip: read the body, verify the
  Standard Webhooks signature, parse the JSON, INSERT one row (a receipt), commit;
* ``start`` — the same bare endpoint calling ``Engine.start`` (input mapped by hand)
  instead of the INSERT: the floor the engine itself sets, so ``ingest / start`` is
  what the hooks adapter costs on top of the engine;
* ``ingest`` — ``POST /hooks/bench-portal`` through the whole app (signature,
  receipt, trigger, JSONPath mapping, ``Engine.start``), one transaction a request.
  Target: ingest >= 0.5 x ceiling.

**act** — one client, ``--acts`` acts per scenario, each on the intake task of an
instance started beforehand (``bench/approval.yaml``):

* ``engine act`` — ``Engine.act`` inside ``Database.transaction()``, in this
  process: the floor any API act can reach;
* ``api act`` — ``POST /api/v1/tasks/{id}/act`` with a bearer token acting for the
  clerk: what an integrator sees, per request.

    .venv/bin/python bench/api.py [--part ingest,act] [--seconds 5] [--clients 8]
                                  [--acts 300] [--db sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness import Request, Result, database, drop, free_port, load, send, spawn, stop

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECRET = "whsec_QmVuY2htYXJrU2VjcmV0Rm9yV2ViaG9va3NPbmx5IQ=="
SOURCE = "bench-portal"
DIRECTORY = """
departments:
  planning: {title: Planning, groups: [intake, engineers]}
  fire: {title: Fire, groups: [inspectors]}
  legal: {title: Legal, groups: [counsel]}
users:
  - {email: clerk@planning.example.gov, name: Clerk, queues: [planning/intake]}
"""
CLERK = "clerk@planning.example.gov"
INPUT = {"applicant": "Bench", "address": "1 Main St"}


def settings_env(url: str) -> dict[str, str]:
    return {
        "CIVICFLOW_DATABASE_URL": url,
        "CIVICFLOW_DATA_DIR": tempfile.mkdtemp(),
        "CIVICFLOW_WEBHOOK_SECRET_BENCH_PORTAL": SECRET,
        "CIVICFLOW_RATE_LIMIT_TOKEN": "100000000/minute",  # measure the app, not 429s
        "CIVICFLOW_RATE_LIMIT_ADDRESS": "100000000/minute",
    }


# -- the server side (run as a child process) ---------------------------------------------


def run_server(port: int, url: str) -> None:
    """The app as ``civicflow serve`` runs it (no worker), and the bare endpoints."""
    from web.server import make_server, patch

    patch()
    from flask import Flask, request
    from sqlalchemy import text

    from civicflow.config import Settings
    from civicflow.services import Services
    from integrations.signatures import secret_key, verify
    from web import create_app
    from workflow import SYSTEM

    settings = Settings.from_env(settings_env(url))
    shared = Services(settings)
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


# -- one database, set up and served ----------------------------------------------------------


@dataclass
class Target:
    """A migrated database with both workflows, the clerk and a token, and its server."""

    url: str
    port: int
    token: str


def setup(url: str) -> str:
    """Migrate, import the clerk, register both workflows; a token acting for the clerk."""
    from civicflow.config import Settings
    from civicflow.services import Services
    from workflow import SYSTEM, ApiTokens, People, parse_directory

    services = Services(Settings.from_env(settings_env(url)))
    services.db.upgrade()
    with services.db.transaction() as session:
        now = services.engine.clock.now()
        People(session).import_directory(parse_directory(DIRECTORY), now=now, actor=SYSTEM)
        for name in ("approval.yaml", "webhook.yaml"):
            source = (HERE / name).read_text(encoding="utf-8")
            services.engine.register(session, source, path=name)
        token, _ = ApiTokens(session).create(
            "bench", scopes=["tasks:act"], user=CLERK, created_by="bench", now=now
        )
    services.close()
    return token


# -- ingest: signed webhook -> instance started --------------------------------------------------

INGEST = (
    ("ceiling", f"/bare/{SOURCE}"),
    ("start", f"/start/{SOURCE}"),
    ("ingest", f"/hooks/{SOURCE}"),
)


def message(path: str) -> Request:
    """A new signed message to ``path``: its own webhook-id and business key."""
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
    return "POST", path, body, headers | {"Content-Type": "application/json"}


def ingest(target: Target, args: argparse.Namespace) -> list[tuple[str, Result, str]]:
    rows = []
    ceiling = 0.0
    for scenario, path in INGEST:
        make = functools.partial(message, path)
        load(target.port, make, clients=args.clients, seconds=1.0, expect=201)  # warm up
        result = load(target.port, make, clients=args.clients, seconds=args.seconds, expect=201)
        ceiling = ceiling or result.rate
        ratio = f"{result.rate / ceiling:.2f}" if scenario != "ceiling" and ceiling else ""
        rows.append((scenario, result, ratio))
    return rows


# -- act: the API's act latency beside the engine's own ----------------------------------------


def intake_tasks(url: str, count: int) -> list[str]:
    """Start ``count`` instances through the engine; their intake task ids."""
    from civicflow.config import Settings
    from civicflow.services import Services
    from workflow import People

    services = Services(Settings.from_env(settings_env(url)))
    ids = []
    with services.db.transaction() as session:
        actor = People(session).actor(CLERK)
        for _ in range(count):
            view = services.engine.start(session, workflow="approval", input=INPUT, actor=actor)
            ids.append(str(view.open_tasks()[0].id))
    services.close()
    return ids


def engine_act(target: Target, tasks: list[str]) -> list[float]:
    from civicflow.config import Settings
    from civicflow.services import Services
    from workflow import People

    services = Services(Settings.from_env(settings_env(target.url)))
    latencies = []
    for task in tasks:
        started = time.perf_counter()
        with services.db.transaction() as session:
            actor = People(session).actor(CLERK)
            services.engine.act(session, task_id=uuid.UUID(task), action="accept", actor=actor)
        latencies.append(time.perf_counter() - started)
    services.close()
    return latencies


def api_act(target: Target, tasks: list[str]) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
    headers = {"Authorization": f"Bearer {target.token}", "Content-Type": "application/json"}
    body = json.dumps({"action": "accept"}).encode()
    latencies = []
    for task in tasks:
        latency, status = send(connection, ("POST", f"/api/v1/tasks/{task}/act", body, headers))
        if status != 200:
            raise SystemExit(f"api act answered {status}")
        latencies.append(latency)
    connection.close()
    return latencies


# More act scenarios go here: a name and a function of the target and the task ids.
ACTS: list[tuple[str, Callable[[Target, list[str]], list[float]]]] = [
    ("engine act", engine_act),
    ("api act", api_act),
]


def act(target: Target, args: argparse.Namespace) -> list[tuple[str, Result, str]]:
    rows = []
    floor = 0.0
    for scenario, run in ACTS:
        run(target, intake_tasks(target.url, max(10, args.acts // 10)))  # warm up
        latencies = run(target, intake_tasks(target.url, args.acts))
        result = Result.of(latencies, sum(latencies))
        floor = floor or result.p50
        ratio = f"{result.p50 / floor:.2f}" if scenario != "engine act" and floor else ""
        rows.append((scenario, result, ratio))
    return rows


# -- the command --------------------------------------------------------------------------------

PARTS: dict[str, tuple[Callable[[Target, argparse.Namespace], list[tuple[str, Result, str]]], str]]
PARTS = {"ingest": (ingest, "x ceiling"), "act": (act, "p50 x engine")}


def table(title: str, ratio: str, rows: list[tuple[str, str, Result, str]]) -> None:
    print(f"\n{title}")
    head = f"{'db':10} {'scenario':10} {'per s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
    print(f"{head}  {ratio}")
    for kind, scenario, r, rel in rows:
        line = f"{kind:10} {scenario:10} {r.rate:7.0f} {r.p50:8.1f} {r.p99:8.1f} {r.errors:6}"
        print(f"{line}  {rel}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--part", default="ingest,act", help="ingest, act or both")
    parser.add_argument("--seconds", type=float, default=5.0, help="per ingest scenario")
    parser.add_argument("--clients", type=int, default=8, help="ingest clients")
    parser.add_argument("--acts", type=int, default=300, help="acts per act scenario")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        run_server(args.port, args.url)
        return
    parts = args.part.split(",")
    if unknown := set(parts) - set(PARTS):
        parser.error(f"unknown part: {', '.join(sorted(unknown))}")
    results: dict[str, list[tuple[str, str, Result, str]]] = {part: [] for part in parts}
    for kind in args.db.split(","):
        url, name = database(kind)
        try:
            target = Target(url=url, port=free_port(), token=setup(url))
            command = [sys.executable, __file__, "--serve", "--port", str(target.port)]
            server = spawn([*command, "--url", url], target.port, cwd=str(ROOT))
            try:
                for part in parts:
                    for scenario, result, ratio in PARTS[part][0](target, args):
                        results[part].append((kind, scenario, result, ratio))
                        progress = f"{result.rate:.0f}/s, p50 {result.p50:.1f} ms"
                        print(f"{kind} {part} {scenario}: {progress}", file=sys.stderr, flush=True)
            finally:
                stop(server)
        finally:
            drop(name)
    if "ingest" in results:
        table(
            f"Signed webhook -> instance started: gevent, {args.clients} keep-alive clients, "
            f"{args.seconds:g} s per scenario",
            PARTS["ingest"][1],
            results["ingest"],
        )
    if "act" in results:
        table(
            f"Act latency: one client, {args.acts} acts per scenario",
            PARTS["act"][1],
            results["act"],
        )


if __name__ == "__main__":
    main()
