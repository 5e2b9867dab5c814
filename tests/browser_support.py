"""Browser tests' world: a real ``civicflow serve`` on loopback over a fresh SQLite
file with the UI's people and workflow, Debian's Chromium driven by Playwright for
Python (``executable_path``; never ``playwright install``), and people signed in.

Sign-in: until the built-in development provider (issue 10) is on this branch, a
person's browser context carries an API token acting for them
(``Authorization: Bearer``) on every request, the socket's handshake included —
the same authentication seam a browser session goes through.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA, IN_CI
from tests.servers import ROOT, Server, clean_env
from workflow import ApiTokens, Database

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
AXE = (ROOT / "tests" / "vendor" / "axe.min.js").read_text(encoding="utf-8")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass
class World:
    server: Server
    env: dict[str, str]
    db: Database
    tokens: dict[str, str]

    def token(self, who: str, *scopes: str) -> str:
        """A token acting for ``who`` (an e-mail), or for nobody (an integration)."""
        if who not in self.tokens:
            with self.db.transaction() as session:
                secret, _ = ApiTokens(session).create(
                    f"browser-{who}",
                    scopes=scopes or ("tasks:act", "instances:read"),
                    user=who if "@" in who else None,
                    created_by="tests",
                    now=datetime.now(UTC),
                )
            self.tokens[who] = secret
        return self.tokens[who]

    def api(self, path: str, body: Any, *, who: str = "starter") -> Any:
        token = self.token(who, "instances:start", "instances:read")
        request = urllib.request.Request(
            f"{self.server.url}/api/v1{path}",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def start(self, address: str) -> str:
        """Start an inspection at ``address``; the id of its first task."""
        started = self.api(
            "/instances",
            {"workflow": "inspection", "input": {"applicant": "Jo Doe", "address": address}},
        )
        return str(next(t["id"] for t in started["tasks"] if t["state"] == "inspect"))


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if not Path(CHROMIUM).exists():
        why = f"{CHROMIUM} is missing: scripts/setup installs Debian's chromium"
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)
    where = tmp_path_factory.mktemp("browser")
    env = clean_env(
        {
            "CIVICFLOW_DATA_DIR": str(where / "var"),
            "CIVICFLOW_DEFINITIONS_DIR": str(DATA / "ui" / "definitions"),
            "CIVICFLOW_DIRECTORY_FILE": str(DATA / "ui" / "directory.yaml"),
        }
    )
    server = Server(env, where / "serve.log").start("--no-worker", "--no-dev-idp")
    db = Database(f"sqlite:///{where / 'var' / 'civicflow.db'}")
    try:
        yield World(server, env, db, {})
    finally:
        server.stop()
        db.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        why = f"{CHROMIUM} is missing: scripts/setup installs Debian's chromium"
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def signed_in(world: World, browser: Any) -> Iterator[Callable[..., Any]]:
    """``signed_in(email, viewport=DESKTOP)`` -> a page in its own browser context."""
    contexts: list[Any] = []

    def _open(email: str, viewport: dict[str, int] = DESKTOP) -> Any:
        context = browser.new_context(
            base_url=world.server.url,
            viewport=viewport,
            extra_http_headers={"Authorization": f"Bearer {world.token(email)}"},
            locale="en-US",
        )
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core (vendored from npm) on the page as it is now: WCAG 2.x A/AA rules."""
    page.add_script_tag(content=AXE)
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"""
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def live_ready(page: Any) -> None:
    """Wait until the page's socket is connected (the script marks the body)."""
    page.wait_for_selector("body[data-live='connected']", timeout=10_000)


__all__ = [
    "DESKTOP",
    "PHONE",
    "World",
    "axe_violations",
    "browser",
    "live_ready",
    "screenshot",
    "signed_in",
    "world",
]
