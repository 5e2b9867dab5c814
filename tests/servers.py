"""Real ``civicflow serve`` processes on loopback for multi-process and browser tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICFLOW_")}
    env.update(extra)
    return env


class Server:
    """``civicflow serve`` in a child process; ``start()`` waits until it is ready."""

    def __init__(self, env: Mapping[str, str], log: Path, *, port: int | None = None) -> None:
        self.env = dict(env)
        self.log = log
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *args: str, timeout: float = 30) -> Server:
        with self.log.open("a") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "civicflow", "serve", "--port", str(self.port), *args],
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as answer:
                    if json.loads(answer.read()).get("status") == "ready":
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"civicflow serve did not become ready:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def civicflow(env: Mapping[str, str], *args: str) -> str:
    """Run a ``civicflow`` command; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "civicflow", *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout
