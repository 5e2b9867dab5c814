"""Signing in through each agency's own provider, with plain HTTP."""

from __future__ import annotations

from datetime import timedelta

from tests.oidc.agencies import Agency
from tests.oidc.relying_party import Browser, RelyingParty


def test_a_person_of_agency_a_gets_the_queues_their_groups_map_to(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    response = browser.sign_in("agency-a", "ana.ortiz@planning.example.gov")
    assert (response.status_code, response.headers["location"]) == (303, "/auth/me")
    me = browser.me().json()
    assert (me["email"], me["provider"], me["queues"]) == (
        "ana.ortiz@planning.example.gov",
        "agency-a",
        ["planning/intake", "planning/supervisors"],
    )
    assert (me["acr"], me["amr"], me["mfa"]) == ("urn:civicflow:aal1", ["pwd"], False)


def test_a_person_of_agency_b_gets_agency_bs_queues_civicflow_using_private_key_jwt(
    relying_party: RelyingParty, agency_b: Agency
) -> None:
    browser = Browser(relying_party)
    browser.sign_in("agency-b", "rosa.delgado@fire.example.gov")
    me = browser.me().json()
    assert (me["provider"], me["queues"]) == ("agency-b", ["fire/inspectors", "fire/supervisors"])


def test_the_session_cookie_is_http_only_and_same_site_lax(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    response = browser.sign_in("agency-a", "ben.okafor@planning.example.gov")
    cookie = next(
        c for c in response.raw.headers.getlist("Set-Cookie") if c.startswith("civicflow_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_signing_in_again_issues_a_new_session_id(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    browser.sign_in("agency-a", "ben.okafor@planning.example.gov")
    first = browser.session_token
    browser.sign_in("agency-a", "ben.okafor@planning.example.gov")
    assert browser.session_token not in (None, first)
    stolen = Browser(relying_party)
    stolen.http.cookies.set("civicflow_session", first or "")
    assert stolen.me().status_code == 401


def test_the_sign_in_page_lists_both_agencies(relying_party: RelyingParty) -> None:
    page = Browser(relying_party).get("/auth/login").text
    assert "Sign in with Agency A (Planning)" in page
    assert "Sign in with Agency B (Fire &amp; Rescue)" in page


def test_me_without_a_session_is_401(relying_party: RelyingParty) -> None:
    response = Browser(relying_party).me()
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_x_forwarded_proto_is_ignored_unless_a_proxy_is_trusted(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    browser.http.headers["X-Forwarded-Proto"] = "https"
    response = browser.sign_in("agency-a", "ben.okafor@planning.example.gov")
    cookies = response.raw.headers.getlist("Set-Cookie")
    assert any(c.startswith("civicflow_session=") and "Secure" not in c for c in cookies)


def test_behind_a_trusted_proxy_the_cookie_is_secure_and_host_prefixed(
    relying_party_behind_proxy: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party_behind_proxy)
    browser.http.headers["X-Forwarded-Proto"] = "https"
    response = browser.sign_in("agency-a", "ben.okafor@planning.example.gov")
    cookie = next(
        c
        for c in response.raw.headers.getlist("Set-Cookie")
        if c.startswith("__Host-civicflow_session=")
    )
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Domain" not in cookie and "Path=/" in cookie


def test_an_idle_session_is_ended_by_the_server(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    browser.sign_in("agency-a", "ben.okafor@planning.example.gov")
    relying_party.clock.offset = timedelta(minutes=31)  # CIVICFLOW_SESSION_IDLE_MINUTES=30
    assert browser.me().status_code == 401
    relying_party.clock.offset = timedelta(0)
    assert browser.me().status_code == 401  # ended, not merely stale


def test_a_busy_session_still_ends_at_the_absolute_limit(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    browser.sign_in("agency-a", "ben.okafor@planning.example.gov")
    for minutes in range(20, 12 * 60, 20):  # active every 20 minutes, never idle
        relying_party.clock.offset = timedelta(minutes=minutes)
        assert browser.me().status_code == 200
    relying_party.clock.offset = timedelta(hours=12)
    assert browser.me().status_code == 401
