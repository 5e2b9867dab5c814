"""Civicflow as a relying party of the test agencies, served on the session's RP port
by a real HTTP server (the providers call its back-channel logout endpoint), and a
``Browser`` that follows the sign-in flow with plain HTTP, stopping wherever a test
wants to tamper with it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from werkzeug.serving import BaseWSGIServer, make_server

from tests.oidc.agencies import DATA, SECRETS, Agency, free_port, idp_config
from workflow import SYSTEM, Database, People, load_directory

SECRET_KEY = "test-secret-key-for-the-sso-tests"


class ShiftedClock:
    """The wall clock, moved by ``offset``: ID tokens can be made to look expired."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class RelyingParty:
    url: str
    app: Any
    services: Any
    database: Database
    clock: ShiftedClock


def _serve(
    agencies: dict[str, Agency],
    rp_url: str,
    committed: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    dev_idp_port: int | None = None,
) -> Iterator[RelyingParty]:
    from civicflow.config import Settings
    from civicflow.services import Services
    from web import create_app

    monkeypatch.setenv("CIVICFLOW_TEST_AGENCY_A_SECRET", SECRETS["agency-a"])
    settings = Settings.from_env(
        {
            "CIVICFLOW_DATABASE_URL": committed.url,
            "CIVICFLOW_DATA_DIR": str(tmp_path),
            "CIVICFLOW_IDP_CONFIG": str(idp_config(agencies, tmp_path)),
            "CIVICFLOW_SECRET_KEY": SECRET_KEY,
            **env,
        }
    )
    if dev_idp_port is not None:
        settings = replace(settings, dev_idp=True, dev_idp_port=dev_idp_port)
    clock = ShiftedClock()
    services = Services(settings, clock=clock, db=committed)
    with committed.transaction() as session:
        People(session).import_directory(
            load_directory(DATA / "departments.yaml"), now=clock.now(), actor=SYSTEM
        )
        services.engine.register(
            session, (DATA / "sign-off.yaml").read_text(), path="sign-off.yaml"
        )
    app = create_app(settings, services=services)
    port = urlsplit(rp_url).port
    assert port is not None
    server: BaseWSGIServer = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield RelyingParty(rp_url, app, services, committed, clock)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def relying_party(
    agencies: dict[str, Agency],
    rp_url: str,
    committed: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RelyingParty]:
    """Civicflow on the RP port, serving plain HTTP, trusting no proxy headers."""
    yield from _serve(agencies, rp_url, committed, tmp_path, monkeypatch, {})


@pytest.fixture
def relying_party_behind_proxy(
    agencies: dict[str, Agency],
    rp_url: str,
    committed: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RelyingParty]:
    """The same, configured to trust X-Forwarded-Proto from a TLS-terminating proxy."""
    env = {"CIVICFLOW_TRUST_PROXY": "true"}
    yield from _serve(agencies, rp_url, committed, tmp_path, monkeypatch, env)


class _Form(HTMLParser):
    """The first form of a page: its action and hidden inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None:
            self.action = values.get("action", "")
        if tag == "input" and values.get("type") == "hidden" and "name" in values:
            self.fields[values["name"]] = values.get("value", "")


def form_of(html: str) -> _Form:
    parser = _Form()
    parser.feed(html)
    return parser


class Browser:
    """A cookie jar following redirects by hand (so tests see every hop)."""

    def __init__(self, rp: RelyingParty) -> None:
        self.rp = rp
        self.http = requests.Session()

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        url = urljoin(self.rp.url, url).replace("https://", "http://")
        return self._proxied(self.http.get(url, allow_redirects=False, timeout=10, **kwargs))

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        url = urljoin(self.rp.url, url)
        return self._proxied(self.http.post(url, allow_redirects=False, timeout=10, **kwargs))

    def _proxied(self, response: requests.Response) -> requests.Response:
        """Behind a (pretend) TLS-terminating proxy the browser speaks HTTPS and sends
        Secure cookies; this jar speaks HTTP to the app, so it forgets the flag."""
        for cookie in self.http.cookies:
            cookie.secure = False
        return response

    def start(self, provider: str, path: str = "/auth/login/{provider}") -> str:
        """Begin a sign-in; returns the provider's authorization URL."""
        response = self.get(path.format(provider=provider))
        assert response.status_code == 303, response.text
        return response.headers["location"]

    def authenticate(self, authorization_url: str, email: str, otp: str = "") -> str:
        """Sign in at the provider's own login form; returns the callback URL the
        provider sends the browser to (not yet followed)."""
        response = self.http.get(authorization_url, allow_redirects=False, timeout=10)
        interaction = urljoin(authorization_url, response.headers["location"])
        if interaction.replace("https://", "http://").startswith(self.rp.url):
            return interaction  # still signed in at the provider: no login form
        page = self.http.get(interaction, timeout=10)
        action = urljoin(interaction, form_of(page.text).action or "")
        response = self.http.post(
            action, data={"email": email, "otp": otp}, allow_redirects=False, timeout=10
        )
        assert response.status_code in (302, 303), response.text
        location = urljoin(action, response.headers["location"])
        while not location.replace("https://", "http://").startswith(self.rp.url):
            response = self.http.get(location, allow_redirects=False, timeout=10)
            assert response.status_code in (302, 303), response.text
            location = urljoin(location, response.headers["location"])
        return location

    def sign_in(self, provider: str, email: str, otp: str = "") -> requests.Response:
        callback = self.authenticate(self.start(provider), email, otp)
        return self.get(callback)

    def me(self) -> requests.Response:
        return self.get("/auth/me")

    @property
    def session_token(self) -> str | None:
        jar = self.http.cookies
        return jar.get("civicflow_session") or jar.get("__Host-civicflow_session")


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def dev_provider_port(rp_url: str) -> Iterator[int]:
    """The built-in development provider on a free loopback port, for the tests'
    relying party (the demo directory's people)."""
    from web.auth.devidp import create_dev_provider

    port = free_port()
    app = create_dev_provider(
        issuer=f"http://127.0.0.1:{port}",
        directory=load_directory(DATA.parent / "directory" / "small.yaml"),
        secret_key=SECRET_KEY,
        redirect_uris=[f"{rp_url}/auth/callback/dev"],
    )
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def relying_party_with_dev_provider(
    agencies: dict[str, Agency],
    rp_url: str,
    committed: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dev_provider_port: int,
) -> Iterator[RelyingParty]:
    """Civicflow signing people in through the built-in development provider."""
    with committed.transaction() as session:
        People(session).import_directory(
            load_directory(DATA.parent / "directory" / "small.yaml"),
            now=datetime.now(UTC),
            actor=SYSTEM,
        )
    yield from _serve(
        agencies, rp_url, committed, tmp_path, monkeypatch, {}, dev_idp_port=dev_provider_port
    )
