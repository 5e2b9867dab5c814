"""Logout: local with RP-initiated logout at the provider, and the provider's
back-channel logout ending the person's Civicflow sessions."""

from __future__ import annotations

import time
from urllib.parse import urljoin

from tests.oidc.agencies import Agency
from tests.oidc.relying_party import Browser, RelyingParty, form_of, query
from web.auth import on_sessions_ended

BEN = "ben.okafor@planning.example.gov"


def test_back_channel_logout_at_the_provider_ends_the_session(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    ended: list[list[str]] = []
    on_sessions_ended(relying_party.app, ended.append)
    browser = Browser(relying_party)
    browser.sign_in("agency-a", BEN)
    assert browser.me().status_code == 200
    page = browser.http.get(f"{agency_a.issuer}/session/end", timeout=10)
    form = form_of(page.text)
    browser.http.post(
        urljoin(page.url, form.action or ""),
        data={**form.fields, "logout": "yes"},
        allow_redirects=False,
        timeout=10,
    )
    deadline = time.monotonic() + 5
    while browser.me().status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert browser.me().status_code == 401
    assert len(ended) == 1 and len(ended[0]) == 1


def test_a_logout_token_that_does_not_verify_is_refused(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    browser.sign_in("agency-a", BEN)
    response = browser.post(
        "/auth/backchannel-logout/agency-a", data={"logout_token": "e30.e30.c2ln"}
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert browser.me().status_code == 200


def test_logout_ends_the_session_and_continues_at_the_provider(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    browser.sign_in("agency-a", BEN)
    csrf = browser.me().json()["csrf_token"]
    response = browser.post("/auth/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"{agency_a.issuer}/session/end")
    assert query(location)["post_logout_redirect_uri"] == f"{relying_party.url}/auth/login"
    assert browser.me().status_code == 401


def test_logout_without_the_csrf_token_is_refused(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    browser.sign_in("agency-a", BEN)
    response = browser.post("/auth/logout", data={})
    assert response.status_code == 403 and "CSRF" in response.text
    assert browser.me().status_code == 200
