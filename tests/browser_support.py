"""Browser tests' world: a real ``civicflow serve`` on loopback over a fresh SQLite
file with the UI's people and workflow, Debian's Chromium driven by Playwright for
Python (``executable_path``; never ``playwright install``), and people signed in.

Sign-in is a person's: the server runs the built-in development provider on a free
port (``--dev-idp-port``; its default 8001 would collide between runs), and each
browser context opens /auth/login, chooses the development sign-in and clicks the
person, so the session cookie — nothing else — authenticates its pages and its
socket. API tokens only drive the integration side (starting cases, API claims).
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
from tests.servers import ROOT, Server, clean_env, free_port
from workflow import ApiTokens, Database, load_directory

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
AXE = (ROOT / "tests" / "vendor" / "axe.min.js").read_text(encoding="utf-8")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
DEV_SIGN_IN = "Sign in with Development sign-in (not for production)"
SESSION_COOKIE = "civicflow_session"


@dataclass
class World:
    server: Server
    env: dict[str, str]
    db: Database
    tokens: dict[str, str]
    serve_args: tuple[str, ...]
    idp_port: int

    def restart(self) -> None:
        """Start the stopped server again, its development provider on the same port."""
        self.server.start(*self.serve_args)

    def token(self, who: str) -> str:
        """A token acting for ``who`` (an e-mail), or for nobody (an integration)."""
        if who not in self.tokens:
            with self.db.transaction() as session:
                secret, _ = ApiTokens(session).create(
                    f"browser-{who}",
                    scopes=("instances:start", "instances:read", "tasks:act"),
                    user=who if "@" in who else None,
                    created_by="tests",
                    now=datetime.now(UTC),
                )
            self.tokens[who] = secret
        return self.tokens[who]

    def api(self, path: str, body: Any, *, who: str = "starter") -> Any:
        token = self.token(who)
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
    idp_port = free_port()
    serve_args = ("--no-worker", "--dev-idp-port", str(idp_port))
    server = Server(env, where / "serve.log").start(*serve_args)
    db = Database(f"sqlite:///{where / 'var' / 'civicflow.db'}")
    try:
        yield World(server, env, db, {}, serve_args, idp_port)
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


def sign_in(page: Any, world: World, email: str) -> None:
    """Sign ``email`` in as a person would: the login page, the development sign-in,
    a click on their name; back on Civicflow with a session cookie."""
    person = load_directory(DATA / "ui" / "directory.yaml").user(email)
    assert person is not None, f"{email} is not in tests/data/ui/directory.yaml"
    page.goto("/auth/login?next=/inbox")
    page.get_by_role("link", name=DEV_SIGN_IN).click()
    page.wait_for_url(f"http://127.0.0.1:{world.idp_port}/authorize?**")
    page.get_by_role("button", name=f"Sign in as {person.name}").click()
    page.wait_for_url(f"{world.server.url}/inbox**")
    assert any(c["name"] == SESSION_COOKIE for c in page.context.cookies())


@pytest.fixture
def signed_in(world: World, browser: Any) -> Iterator[Callable[..., Any]]:
    """``signed_in(email, viewport=DESKTOP)`` -> a signed-in page in its own context."""
    contexts: list[Any] = []

    def _open(email: str, viewport: dict[str, int] = DESKTOP) -> Any:
        context = browser.new_context(base_url=world.server.url, viewport=viewport, locale="en-US")
        contexts.append(context)
        page = context.new_page()
        sign_in(page, world, email)
        return page

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
    "sign_in",
    "signed_in",
    "world",
]
