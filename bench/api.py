"""The HTTP API's cost over the engine's, measured in the same run on the same database.

For SQLite and PostgreSQL:

* ``engine act`` — ``Engine.act`` on an intake task inside ``Database.transaction()``,
  in this process: the floor any API act can reach.
* ``api act`` — ``POST /api/v1/tasks/{id}/act`` with a bearer token, against the app
  served the way ``civicflow serve`` serves it (gevent, in its own process), one
  keep-alive client: what an integrator sees, per request.

Both act on tasks of instances started beforehand (``bench/approval.yaml``), one
act per task. Scenarios are entries of ``SCENARIOS`` (a name and a function of the
``Bench`` returning latencies in seconds), so more can be added beside these.

    .venv/bin/python bench/api.py [--acts 300] [--db sqlite,postgresql]
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
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get(
    "CIVICFLOW_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
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


@dataclass
class Bench:
    """One database with the workflow, the clerk, a token, and a served app."""

    url: str
    acts: int
    token: str = ""
    port: int = 0
    server: subprocess.Popen[bytes] | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def services(self) -> object:
        from civicflow.config import Settings
        from civicflow.services import Services

        return Services(Settings.from_env({"CIVICFLOW_DATABASE_URL": self.url}))

    def intake_tasks(self, count: int) -> list[str]:
        """Start ``count`` instances through the engine; their intake task ids."""
        from civicflow.services import Services
        from workflow import People

        services = self.services()
        assert isinstance(services, Services)
        ids = []
        with services.db.transaction() as session:
            actor = People(session).actor(CLERK)
            for _ in range(count):
                view = services.engine.start(session, workflow="approval", input=INPUT, actor=actor)
                ids.append(str(view.open_tasks()[0].id))
        services.close()
        return ids


def setup(url: str, acts: int) -> Bench:
    from civicflow.config import Settings
    from civicflow.services import Services
    from workflow import SYSTEM, ApiTokens, People, parse_directory

    services = Services(Settings.from_env({"CIVICFLOW_DATABASE_URL": url}))
    services.db.upgrade()
    with services.db.transaction() as session:
        People(session).import_directory(
            parse_directory(DIRECTORY), now=services.engine.clock.now(), actor=SYSTEM
        )
        source = (HERE / "approval.yaml").read_text(encoding="utf-8")
        services.engine.register(session, source, path="approval.yaml")
        token, _ = ApiTokens(session).create(
            "bench",
            scopes=["tasks:act"],
            user=CLERK,
            created_by="bench",
            now=services.engine.clock.now(),
        )
    services.close()
    return Bench(url=url, acts=acts, token=token)


# -- scenarios --------------------------------------------------------------------------------


def engine_act(bench: Bench) -> list[float]:
    from civicflow.services import Services
    from workflow import People

    tasks = bench.intake_tasks(bench.acts)
    services = bench.services()
    assert isinstance(services, Services)
    latencies = []
    for task in tasks:
        started = time.perf_counter()
        with services.db.transaction() as session:
            actor = People(session).actor(CLERK)
            services.engine.act(session, task_id=uuid.UUID(task), action="accept", actor=actor)
        latencies.append(time.perf_counter() - started)
    services.close()
    return latencies


def api_act(bench: Bench) -> list[float]:
    tasks = bench.intake_tasks(bench.acts)
    connection = http.client.HTTPConnection("127.0.0.1", bench.port, timeout=30)
    headers = {"Authorization": f"Bearer {bench.token}", "Content-Type": "application/json"}
    body = json.dumps({"action": "accept"})
    latencies = []
    for task in tasks:
        started = time.perf_counter()
        connection.request("POST", f"/api/v1/tasks/{task}/act", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        if response.status != 200:
            raise SystemExit(f"api act answered {response.status}")
    connection.close()
    return latencies


SCENARIOS: list[tuple[str, Callable[[Bench], list[float]]]] = [
    ("engine act", engine_act),
    ("api act", api_act),
]


# -- the served app -----------------------------------------------------------------------------


def serve(url: str, port: int) -> None:
    """Child process: the app as ``civicflow serve`` runs it (no worker)."""
    from web.server import make_server, patch

    patch()
    from civicflow.config import Settings
    from web import create_app

    settings = Settings.from_env(
        {
            "CIVICFLOW_DATABASE_URL": url,
            "CIVICFLOW_RATE_LIMIT_TOKEN": "100000000/minute",
            "CIVICFLOW_RATE_LIMIT_ADDRESS": "100000000/minute",
        }
    )
    make_server(create_app(settings), "127.0.0.1", port).serve_forever()


def start_server(bench: Bench) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        bench.port = sock.getsockname()[1]
    command = [sys.executable, __file__, "--serve", bench.url, "--port", str(bench.port)]
    bench.server = subprocess.Popen(command, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", bench.port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


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


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--acts", type=int, default=300)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    print(f"{args.acts} acts per scenario, one client")
    print(f"{'db':10} {'scenario':16} {'per s':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for kind in args.db.split(","):
        url, name = _database(kind)
        bench = setup(url, args.acts)
        try:
            start_server(bench)
            for label, scenario in SCENARIOS:
                scenario(
                    Bench(
                        url=url, acts=max(10, args.acts // 10), token=bench.token, port=bench.port
                    )
                )  # warm up
                latencies = scenario(bench)
                rate = len(latencies) / sum(latencies)
                print(
                    f"{kind:10} {label:16} {rate:7.0f} {statistics.median(latencies) * 1000:8.2f} "
                    f"{_ms(latencies, 0.99):8.2f}",
                    flush=True,
                )
        finally:
            if bench.server is not None:
                bench.server.terminate()
                bench.server.wait(timeout=10)
            _drop(name)


if __name__ == "__main__":
    main()
