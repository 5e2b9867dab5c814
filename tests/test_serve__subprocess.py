"""`civicflow serve` on embedded defaults answers /healthz within seconds (a real process)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.slow
def test_serve_answers_healthz_within_seconds_on_a_fresh_sqlite(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICFLOW_")}
    env["CIVICFLOW_DATA_DIR"] = str(tmp_path / "var")
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "civicflow", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    started = time.monotonic()
    try:
        body = None
        while time.monotonic() - started < 20 and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    body = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.1)
        elapsed = time.monotonic() - started
        assert body == {"database": "ok", "migrations": "current", "status": "ready"}, (
            log.read_text()
        )
        assert elapsed < 15
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            assert json.loads(r.read()) == {"status": "ok"}
        assert (tmp_path / "var" / "civicflow.db").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
