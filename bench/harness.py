"""What the HTTP benchmarks share: throw-away databases, a served child process, and a
load loop of keep-alive clients with latency percentiles.

Kept in one place so ``bench/server.py`` and ``bench/api.py`` measure the same way:
the same client, the same percentile, the same database setup and teardown.
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

PG_ADMIN = os.environ.get(
    "CIVICFLOW_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

# One request: method, path, body, headers. A factory makes a new one per call, so each
# request can be a new message (webhooks) or a new task (acts).
Request = tuple[str, str, bytes | None, dict[str, str]]


@dataclass(frozen=True)
class Result:
    """Requests per second, p50 and p99 latency in ms, and unexpected answers."""

    rate: float
    p50: float
    p99: float
    errors: int

    @classmethod
    def of(cls, latencies: list[float], elapsed: float, errors: int = 0) -> Result:
        if not latencies:
            return cls(0.0, 0.0, 0.0, errors)
        return cls(
            len(latencies) / elapsed,
            statistics.median(latencies) * 1000,
            percentile(latencies, 0.99) * 1000,
            errors,
        )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def database(kind: str) -> tuple[str, str | None]:
    """A fresh database of ``kind`` (sqlite or postgresql): its URL, and the PostgreSQL
    database's name to drop afterwards (None for SQLite, a file in a temporary dir)."""
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


def drop(name: str | None) -> None:
    if name is None:
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def spawn(command: list[str], port: int, cwd: str, limit: float = 90) -> subprocess.Popen[bytes]:
    """Start a server process and wait until ``/healthz`` answers on ``port``."""
    process = subprocess.Popen(command, cwd=cwd)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit("server did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


def send(connection: http.client.HTTPConnection, request: Request) -> tuple[float, int]:
    """One request on a kept-alive connection: its latency in seconds and its status."""
    method, path, body, headers = request
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    return time.perf_counter() - started, response.status


def load(
    port: int,
    make: Callable[[], Request],
    *,
    clients: int,
    seconds: float,
    expect: int = 200,
) -> Result:
    """``clients`` threads, each with one keep-alive connection, sending ``make()``
    requests back to back for ``seconds``; answers other than ``expect`` are errors."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop_at:
            latency, status = send(connection, make())
            latencies[index].append(latency)
            failures[index] += status != expect
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [x for own in latencies for x in own]
    return Result.of(every, time.monotonic() - started, sum(failures))
